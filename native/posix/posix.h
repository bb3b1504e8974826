/*
 * Umbrella header for the jextract-generated POSIX bindings of multiprocessing4j
 * (the portable "posix" backend, org.multiprocessing4j.platform.posix).
 *
 * Strict POSIX.1-2017 (XSI): no _GNU_SOURCE, so that only portable declarations are visible
 * and nothing Linux-only (memfd, pidfd, futex, OFD locks, SO_PEERCRED, ...) creeps in.
 * Only the symbols listed in includes-common.txt / includes-arch.txt are emitted;
 * regenerate with scripts/jextract (see native/README.md).
 */
#ifndef MULTIPROCESSING4J_POSIX_H
#define MULTIPROCESSING4J_POSIX_H

#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700

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
#include <pthread.h>
#include <semaphore.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sched.h>

#endif /* MULTIPROCESSING4J_POSIX_H */
