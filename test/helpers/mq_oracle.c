/*
 * mq_oracle: a second, independent route to mq_open(3) and to the System V
 * msgget/msgsnd/msgctl calls, for differential tests. It shares no code with the
 * addon on purpose; only the errno names agree.
 *
 *   mq_oracle open NAME OFLAG MODE MAXMSG|null MSGSIZE|null [--keep]
 *   mq_oracle create NAME MAXMSG MSGSIZE     O_CREAT|O_EXCL|O_RDWR, 0600; keeps the queue
 *   mq_oracle openmany PREFIX COUNT MAXMSG|null MSGSIZE|null
 *                                            COUNT new queues PREFIX0… (O_CREAT|O_EXCL|O_RDWR, 0600)
 *                                            in one process, each descriptor held, as an application
 *                                            opens them; prints "OK COUNT" or "ERRNO opened"; unlinks all
 *   mq_oracle unlink NAME
 *   mq_oracle attr NAME                      prints "maxmsg msgsize curmsgs"
 *   mq_oracle hold NAME SECONDS [SIGNO|none] opens the existing NAME (O_RDONLY) and keeps it open for
 *                                            SECONDS (or until a signal ends it); with SIGNO, first
 *                                            mq_notify(SIGEV_SIGNAL, SIGNO), with none mq_notify(SIGEV_NONE);
 *                                            prints OK once it holds the queue
 *
 *   mq_oracle msgget KEY FLAGS               prints "OK msqid"
 *   mq_oracle msgsnd KEY SIZE COUNT          msgget(KEY, 0), then COUNT messages of SIZE
 *                                            zero bytes, mtype 1, IPC_NOWAIT; prints
 *                                            "OK sent", or "ERRNO sent" at the first failure
 *                                            (msgget's errno with 0 sent)
 *   mq_oracle msgset KEY QBYTES              IPC_STAT, then IPC_SET with msg_qbytes = QBYTES (0 to ULONG_MAX)
 *   mq_oracle msgstat KEY                    prints "OK qbytes qnum cbytes" (IPC_STAT)
 *   mq_oracle msgrm KEY                      IPC_RMID
 *
 * Prints one line, OK or the errno name. Exit 0 for OK, 1 for an errno, 2 for usage.
 * OFLAG, MODE and FLAGS: decimal, 0-prefixed octal or 0x hex (FLAGS: mode | IPC_CREAT
 * 01000 | IPC_EXCL 02000). MAXMSG, MSGSIZE: decimal C long. KEY: decimal or 0x hex,
 * within int (IPC_PRIVATE is 0). SIZE, COUNT: decimal, 0 to INT_MAX. QBYTES: decimal,
 * 0 to ULONG_MAX (the kernel keeps only the low 32 bits since Linux 5.4).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

/* The addon's names: EAGAIN not EWOULDBLOCK, EOPNOTSUPP not ENOTSUP. */
static const struct {
  int value;
  const char *name;
} errnos[] = {
    {EPERM, "EPERM"},     {ENOENT, "ENOENT"},     {ESRCH, "ESRCH"},         {EINTR, "EINTR"},
    {EIO, "EIO"},         {ENXIO, "ENXIO"},       {E2BIG, "E2BIG"},         {EBADF, "EBADF"},
    {ECHILD, "ECHILD"},   {EAGAIN, "EAGAIN"},     {ENOMEM, "ENOMEM"},       {EACCES, "EACCES"},
    {EFAULT, "EFAULT"},   {EBUSY, "EBUSY"},       {EEXIST, "EEXIST"},       {EXDEV, "EXDEV"},
    {ENODEV, "ENODEV"},   {ENOTDIR, "ENOTDIR"},   {EISDIR, "EISDIR"},       {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"},   {EMFILE, "EMFILE"},     {ENOTTY, "ENOTTY"},       {EFBIG, "EFBIG"},
    {ENOSPC, "ENOSPC"},   {ESPIPE, "ESPIPE"},     {EROFS, "EROFS"},         {EPIPE, "EPIPE"},
    {ERANGE, "ERANGE"},   {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"}, {ELOOP, "ELOOP"},
    {EMSGSIZE, "EMSGSIZE"}, {EOPNOTSUPP, "EOPNOTSUPP"}, {ETIMEDOUT, "ETIMEDOUT"},
    {EOVERFLOW, "EOVERFLOW"}, {EUSERS, "EUSERS"}, {EDQUOT, "EDQUOT"},
    {ENOMSG, "ENOMSG"},   {EIDRM, "EIDRM"},
};

static const char *errno_name(int err) {
  static char unknown[16];
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++) {
    if (errnos[i].value == err) return errnos[i].name;
  }
  snprintf(unknown, sizeof unknown, "E%d", err);
  return unknown;
}

static int fail(int err) {
  puts(errno_name(err));
  return 1;
}

static int usage(void) {
  fputs("usage: mq_oracle open NAME OFLAG MODE MAXMSG|null MSGSIZE|null [--keep]\n"
        "       mq_oracle create NAME MAXMSG MSGSIZE\n"
        "       mq_oracle openmany PREFIX COUNT MAXMSG|null MSGSIZE|null\n"
        "       mq_oracle unlink NAME\n"
        "       mq_oracle attr NAME\n"
        "       mq_oracle hold NAME SECONDS [SIGNO|none]\n"
        "       mq_oracle msgget KEY FLAGS\n"
        "       mq_oracle msgsnd KEY SIZE COUNT\n"
        "       mq_oracle msgset KEY QBYTES\n"
        "       mq_oracle msgstat KEY\n"
        "       mq_oracle msgrm KEY\n",
        stderr);
  return 2;
}

/* strtol with every failure (empty, trailing junk, out of range) rejected. */
static int parse_long(const char *s, int base, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, base);
  if (*s == '\0' || *end != '\0' || errno == ERANGE || v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

/* Both "null" (attr NULL), or both C longs. */
static int parse_attr(const char *maxmsg, const char *msgsize, struct mq_attr *attr, struct mq_attr **out) {
  int nulls = (strcmp(maxmsg, "null") == 0) + (strcmp(msgsize, "null") == 0);
  if (nulls == 2) {
    *out = NULL;
    return 1;
  }
  memset(attr, 0, sizeof *attr);
  if (nulls != 0 || !parse_long(maxmsg, 10, LONG_MIN, LONG_MAX, &attr->mq_maxmsg) ||
      !parse_long(msgsize, 10, LONG_MIN, LONG_MAX, &attr->mq_msgsize)) {
    return 0;
  }
  *out = attr;
  return 1;
}

static int cmd_open(int argc, char **argv) {
  int keep = argc == 8 && strcmp(argv[7], "--keep") == 0;
  long oflag, mode;
  struct mq_attr attr, *attrp;
  if ((argc != 7 && !keep) || !parse_long(argv[3], 0, INT_MIN, INT_MAX, &oflag) ||
      !parse_long(argv[4], 0, 0, (long)UINT_MAX, &mode) || !parse_attr(argv[5], argv[6], &attr, &attrp)) {
    return usage();
  }
  mqd_t q = (oflag & O_CREAT) ? mq_open(argv[2], (int)oflag, (mode_t)mode, attrp) : mq_open(argv[2], (int)oflag);
  if (q == (mqd_t)-1) return fail(errno);
  puts("OK");
  if (!keep) mq_close(q);
  return 0;
}

static int cmd_openmany(int argc, char **argv) {
  long count;
  struct mq_attr attr, *attrp;
  if (argc != 6 || strlen(argv[2]) > 200 || !parse_long(argv[3], 10, 1, 4096, &count) || !parse_attr(argv[4], argv[5], &attr, &attrp)) return usage();
  char name[256];
  long opened = 0;
  int err = 0;
  for (; opened < count; opened++) {
    snprintf(name, sizeof name, "%s%ld", argv[2], opened);
    if (mq_open(name, O_CREAT | O_EXCL | O_RDWR, (mode_t)0600, attrp) == (mqd_t)-1) {
      err = errno;
      break;
    }
  }
  for (long i = 0; i < opened; i++) {
    snprintf(name, sizeof name, "%s%ld", argv[2], i);
    mq_unlink(name);
  }
  printf("%s %ld\n", err ? errno_name(err) : "OK", opened);
  return err ? 1 : 0;
}

static int cmd_create(int argc, char **argv) {
  struct mq_attr attr, *attrp;
  if (argc != 5 || !parse_attr(argv[3], argv[4], &attr, &attrp) || attrp == NULL) return usage();
  mqd_t q = mq_open(argv[2], O_CREAT | O_EXCL | O_RDWR, (mode_t)0600, attrp);
  if (q == (mqd_t)-1) return fail(errno);
  puts("OK");
  return 0; /* the queue outlives this process until someone unlinks it */
}

static int cmd_unlink(int argc, char **argv) {
  if (argc != 3) return usage();
  if (mq_unlink(argv[2]) != 0) return fail(errno);
  puts("OK");
  return 0;
}

static int cmd_attr(int argc, char **argv) {
  if (argc != 3) return usage();
  mqd_t q = mq_open(argv[2], O_RDONLY);
  if (q == (mqd_t)-1) return fail(errno);
  struct mq_attr a;
  if (mq_getattr(q, &a) != 0) return fail(errno);
  printf("%ld %ld %ld\n", a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
  mq_close(q);
  return 0;
}

/* A holder, as an application that opened the queue and waits: stdout is flushed before it sleeps. */
static int cmd_hold(int argc, char **argv) {
  long seconds, signo = 0;
  int none = argc == 5 && strcmp(argv[4], "none") == 0;
  if ((argc != 4 && argc != 5) || !parse_long(argv[3], 10, 1, 86400, &seconds) ||
      (argc == 5 && !none && !parse_long(argv[4], 10, 1, 64, &signo))) {
    return usage();
  }
  mqd_t q = mq_open(argv[2], O_RDONLY);
  if (q == (mqd_t)-1) return fail(errno);
  if (argc == 5) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = none ? SIGEV_NONE : SIGEV_SIGNAL;
    ev.sigev_signo = (int)signo;
    if (mq_notify(q, &ev) != 0) return fail(errno);
  }
  puts("OK");
  fflush(stdout);
  sleep((unsigned)seconds);
  mq_close(q);
  return 0;
}

/* KEY: decimal, or hex with a 0x prefix (after an optional sign); never octal. */
static int parse_key(const char *s, key_t *out) {
  const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
  int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
  long v;
  if (!parse_long(s, hex ? 16 : 10, INT_MIN, INT_MAX, &v)) return 0;
  *out = (key_t)v;
  return 1;
}

/* The msqid of an existing KEY, or -1 with errno set. */
static int existing(key_t key) { return msgget(key, 0); }

static int cmd_msgget(int argc, char **argv) {
  key_t key;
  long flags;
  if (argc != 4 || !parse_key(argv[2], &key) || !parse_long(argv[3], 0, INT_MIN, INT_MAX, &flags)) return usage();
  int id = msgget(key, (int)flags);
  if (id < 0) return fail(errno);
  printf("OK %d\n", id);
  return 0;
}

static int cmd_msgsnd(int argc, char **argv) {
  key_t key;
  long size, count, sent = 0;
  if (argc != 5 || !parse_key(argv[2], &key) || !parse_long(argv[3], 10, 0, INT_MAX, &size) ||
      !parse_long(argv[4], 10, 0, INT_MAX, &count)) {
    return usage();
  }
  int id = existing(key);
  int err = id < 0 ? errno : 0;
  /* struct msgbuf: a long mtype, then SIZE bytes of text. */
  long *buf = calloc(1, sizeof(long) + (size_t)size);
  if (err == 0 && buf == NULL) {
    err = ENOMEM;
  } else if (err == 0) {
    buf[0] = 1;
    for (; sent < count; sent++) {
      if (msgsnd(id, buf, (size_t)size, IPC_NOWAIT) != 0) {
        err = errno;
        break;
      }
    }
  }
  free(buf);
  printf("%s %ld\n", err ? errno_name(err) : "OK", sent);
  return err ? 1 : 0;
}

static int cmd_msgset(int argc, char **argv) {
  key_t key;
  char *end;
  /* msg_qbytes is an unsigned long: the whole range, digits only (strtoul would take "-1"). */
  if (argc != 4 || !parse_key(argv[2], &key) || argv[3][0] < '0' || argv[3][0] > '9') return usage();
  errno = 0;
  unsigned long qbytes = strtoul(argv[3], &end, 10);
  if (*end != '\0' || errno == ERANGE) return usage();
  int id = existing(key);
  if (id < 0) return fail(errno);
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) != 0) return fail(errno);
  ds.msg_qbytes = (msglen_t)qbytes;
  if (msgctl(id, IPC_SET, &ds) != 0) return fail(errno);
  puts("OK");
  return 0;
}

static int cmd_msgstat(int argc, char **argv) {
  key_t key;
  if (argc != 3 || !parse_key(argv[2], &key)) return usage();
  int id = existing(key);
  if (id < 0) return fail(errno);
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) != 0) return fail(errno);
  printf("OK %lu %lu %lu\n", (unsigned long)ds.msg_qbytes, (unsigned long)ds.msg_qnum, (unsigned long)ds.msg_cbytes);
  return 0;
}

static int cmd_msgrm(int argc, char **argv) {
  key_t key;
  if (argc != 3 || !parse_key(argv[2], &key)) return usage();
  int id = existing(key);
  if (id < 0) return fail(errno);
  if (msgctl(id, IPC_RMID, NULL) != 0) return fail(errno);
  puts("OK");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  if (strcmp(argv[1], "open") == 0) return cmd_open(argc, argv);
  if (strcmp(argv[1], "create") == 0) return cmd_create(argc, argv);
  if (strcmp(argv[1], "openmany") == 0) return cmd_openmany(argc, argv);
  if (strcmp(argv[1], "unlink") == 0) return cmd_unlink(argc, argv);
  if (strcmp(argv[1], "attr") == 0) return cmd_attr(argc, argv);
  if (strcmp(argv[1], "hold") == 0) return cmd_hold(argc, argv);
  if (strcmp(argv[1], "msgget") == 0) return cmd_msgget(argc, argv);
  if (strcmp(argv[1], "msgsnd") == 0) return cmd_msgsnd(argc, argv);
  if (strcmp(argv[1], "msgset") == 0) return cmd_msgset(argc, argv);
  if (strcmp(argv[1], "msgstat") == 0) return cmd_msgstat(argc, argv);
  if (strcmp(argv[1], "msgrm") == 0) return cmd_msgrm(argc, argv);
  return usage();
}
