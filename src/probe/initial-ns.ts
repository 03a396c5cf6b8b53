// The kernel gives its initial namespaces fixed inode numbers
// (include/linux/proc_ns.h), so "is this the host's namespace" needs no access to PID 1.
export const PROC_IPC_INIT_INO = 0xefffffff;
export const PROC_USER_INIT_INO = 0xeffffffd;
export const PROC_PID_INIT_INO = 0xeffffffc;
