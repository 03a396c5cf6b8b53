/*
 * mq_oracle: a second, independent route to mq_open(3) for differential tests.
 * It shares no code with the addon on purpose; only the errno names agree.
 *
 *   mq_oracle open NAME OFLAG MODE MAXMSG|null MSGSIZE|null [--keep]
 *   mq_oracle create NAME MAXMSG MSGSIZE     O_CREAT|O_EXCL|O_RDWR, 0600; keeps the queue
 *   mq_oracle unlink NAME
 *   mq_oracle attr NAME                      prints "maxmsg msgsize curmsgs"
 *
 * Prints one line, OK or the errno name. Exit 0 for OK, 1 for an errno, 2 for usage.
 * OFLAG and MODE: decimal, 0-prefixed octal or 0x hex. MAXMSG, MSGSIZE: decimal C long.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
};

static int fail(int err) {
  for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++) {
    if (errnos[i].value == err) {
      puts(errnos[i].name);
      return 1;
    }
  }
  printf("E%d\n", err);
  return 1;
}

static int usage(void) {
  fputs("usage: mq_oracle open NAME OFLAG MODE MAXMSG|null MSGSIZE|null [--keep]\n"
        "       mq_oracle create NAME MAXMSG MSGSIZE\n"
        "       mq_oracle unlink NAME\n"
        "       mq_oracle attr NAME\n",
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

int main(int argc, char **argv) {
  if (argc < 3) return usage();
  if (strcmp(argv[1], "open") == 0) return cmd_open(argc, argv);
  if (strcmp(argv[1], "create") == 0) return cmd_create(argc, argv);
  if (strcmp(argv[1], "unlink") == 0) return cmd_unlink(argc, argv);
  if (strcmp(argv[1], "attr") == 0) return cmd_attr(argc, argv);
  return usage();
}
