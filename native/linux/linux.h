/*
 * Umbrella header for the jextract-generated Linux libc bindings of multiprocessing4j.
 *
 * Only the symbols listed in includes-common.txt / includes-arch.txt are emitted;
 * regenerate with scripts/jextract (see native/README.md).
 */
#ifndef MULTIPROCESSING4J_LINUX_H
#define MULTIPROCESSING4J_LINUX_H

/* memfd_create, pipe2, dup3, gettid, POLLRDHUP, posix_spawn_file_actions_addclosefrom_np, ... */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/types.h>
#include <spawn.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sched.h>

#endif /* MULTIPROCESSING4J_LINUX_H */
