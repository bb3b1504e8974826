/*
 * pingpong: the physical floor of a round trip between two processes on this machine.
 *
 *   pingpong MODE SIZE ITERATIONS [same-cpu]
 *
 *   MODE        pipe        two pipe(2)s, SIZE bytes each way (read/write loops)
 *               socketpair  one AF_UNIX SOCK_STREAM socketpair(2), SIZE bytes each way
 *               futex       one 32-bit word in a MAP_SHARED|MAP_ANONYMOUS page; every hand-off
 *                           stores the word and calls FUTEX_WAKE, a waiter sleeps in FUTEX_WAIT
 *                           (shared futex: no FUTEX_PRIVATE_FLAG); SIZE is ignored
 *               spin        the same word, but both sides busy-wait on it with a pause
 *                           instruction: no system call at all (cache-line transfer only);
 *                           SIZE is ignored
 *   SIZE        message size in bytes for pipe/socketpair (e.g. 8, 1024)
 *   ITERATIONS  measured round trips; ITERATIONS/10 (at least 1000) more are run first as warm-up
 *   same-cpu    pin both processes to the CPU the parent runs on (case name gets "_samecpu");
 *               not with spin. Without it nothing is pinned: the scheduler places the two
 *               processes, as it places ours. On VMs a cross-CPU wake-up can cost 10x a same-CPU
 *               hand-off, so the two numbers bracket what a benchmark can see.
 *
 * The parent forks one child, warms up, then measures REPS batches of ITERATIONS/REPS round
 * trips and prints the median batch mean as one JSON line on stdout:
 *
 *   {"case":"c_socketpair_roundtrip_8B","unit":"us/op","value":12.345}
 *
 * Build: cc -O2 -o pingpong pingpong.c   (Linux only: futex(2))
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPS 5

enum { IDLE = 0, PING = 1, PONG = 2, STOP = 3 };

static void die(const char *what) {
    fprintf(stderr, "pingpong: %s failed: %s\n", what, strerror(errno));
    exit(2);
}

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write");
        }
        buf += w;
        n -= (size_t)w;
    }
}

/* Returns 0 on EOF before the first byte, 1 when n bytes were read. */
static int read_all(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("read");
        }
        if (r == 0) {
            if (got == 0) return 0;
            errno = EPIPE;
            die("read (short message)");
        }
        got += (size_t)r;
    }
    return 1;
}

/* ---- stream modes: pipe, socketpair ---- */

static int out_fd, in_fd; /* parent's ends */
static char *msg;
static size_t msg_size;

static void stream_roundtrips(long n) {
    for (long i = 0; i < n; i++) {
        write_all(out_fd, msg, msg_size);
        if (!read_all(in_fd, msg, msg_size)) { errno = EPIPE; die("read (child gone)"); }
    }
}

static pid_t start_stream_child(int socket_mode) {
    int c_in, c_out; /* child's ends */
    if (socket_mode) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die("socketpair");
        out_fd = in_fd = sv[0];
        c_in = c_out = sv[1];
    } else {
        int p2c[2], c2p[2];
        if (pipe2(p2c, O_CLOEXEC) < 0 || pipe2(c2p, O_CLOEXEC) < 0) die("pipe2");
        out_fd = p2c[1];
        in_fd = c2p[0];
        c_in = p2c[0];
        c_out = c2p[1];
    }
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        close(out_fd);
        if (in_fd != out_fd) close(in_fd);
        char *b = malloc(msg_size);
        while (read_all(c_in, b, msg_size)) write_all(c_out, b, msg_size);
        _exit(0);
    }
    close(c_in);
    if (c_out != c_in) close(c_out);
    return pid;
}

/* ---- word modes: futex, spin ---- */

static uint32_t *word;
static int spin_mode;

static long futex(uint32_t *addr, int op, uint32_t val) {
    return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static void publish(uint32_t v) {
    __atomic_store_n(word, v, __ATOMIC_RELEASE);
    if (!spin_mode) futex(word, FUTEX_WAKE, 1);
}

/* Waits until the word is no longer `seen`; returns the new value. */
static uint32_t await_change(uint32_t seen) {
    uint32_t v;
    unsigned long spins = 0;
    while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) == seen) {
        if (spin_mode) {
            cpu_relax();
            /* Safety valve only: if both processes ever share one CPU, let the other run. */
            if (++spins == (1UL << 22)) { sched_yield(); spins = 0; }
        } else if (futex(word, FUTEX_WAIT, seen) < 0 && errno != EAGAIN && errno != EINTR) {
            die("futex(FUTEX_WAIT)");
        }
    }
    return v;
}

static void word_roundtrips(long n) {
    for (long i = 0; i < n; i++) {
        publish(PING);
        await_change(PING); /* child answers PONG */
    }
}

static pid_t start_word_child(void) {
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("mmap");
    word = p;
    *word = IDLE;
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        uint32_t v = IDLE;
        for (;;) {
            v = await_change(v);
            if (v == STOP) _exit(0);
            if (v == PING) { publish(PONG); v = PONG; }
        }
    }
    return pid;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *size_label(size_t n, char *out, size_t cap) {
    if (n >= (1u << 20) && n % (1u << 20) == 0) snprintf(out, cap, "%zuMiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0) snprintf(out, cap, "%zuKiB", n >> 10);
    else snprintf(out, cap, "%zuB", n);
    return out;
}

int main(int argc, char **argv) {
    int same_cpu = argc == 5 && strcmp(argv[4], "same-cpu") == 0;
    if (argc != 4 && !same_cpu) {
        fprintf(stderr, "usage: %s pipe|socketpair|futex|spin SIZE ITERATIONS [same-cpu]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    msg_size = strtoul(argv[2], NULL, 10);
    long iters = strtol(argv[3], NULL, 10);
    if (msg_size == 0 || iters < REPS) {
        fprintf(stderr, "pingpong: SIZE must be > 0 and ITERATIONS >= %d\n", REPS);
        return 2;
    }
    if (same_cpu) {
        if (strcmp(mode, "spin") == 0) {
            fprintf(stderr, "pingpong: spin on one CPU would measure the scheduler's time slice\n");
            return 2;
        }
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(sched_getcpu(), &set);
        if (sched_setaffinity(0, sizeof set, &set) < 0) die("sched_setaffinity"); /* inherited by the child */
    }
    const char *suffix = same_cpu ? "_samecpu" : "";
    int stream = 0;
    pid_t child;
    if (strcmp(mode, "pipe") == 0 || strcmp(mode, "socketpair") == 0) {
        stream = 1;
        msg = calloc(1, msg_size);
        child = start_stream_child(mode[0] == 's');
    } else if (strcmp(mode, "futex") == 0 || strcmp(mode, "spin") == 0) {
        spin_mode = mode[0] == 's';
        child = start_word_child();
    } else {
        fprintf(stderr, "pingpong: unknown mode %s\n", mode);
        return 2;
    }
    void (*roundtrips)(long) = stream ? stream_roundtrips : word_roundtrips;

    long warmup = iters / 10 < 1000 ? 1000 : iters / 10;
    roundtrips(warmup);
    double per_op[REPS];
    long batch = iters / REPS;
    for (int r = 0; r < REPS; r++) {
        double t0 = now_us();
        roundtrips(batch);
        per_op[r] = (now_us() - t0) / (double)batch;
    }

    if (stream) {
        close(out_fd);
        if (in_fd != out_fd) close(in_fd);
    } else {
        publish(STOP);
    }
    int status;
    if (waitpid(child, &status, 0) < 0) die("waitpid");

    qsort(per_op, REPS, sizeof per_op[0], cmp_double);
    char label[32];
    if (stream)
        printf("{\"case\":\"c_%s_roundtrip_%s%s\",\"unit\":\"us/op\",\"value\":%.4f}\n", mode,
               size_label(msg_size, label, sizeof label), suffix, per_op[REPS / 2]);
    else
        printf("{\"case\":\"c_%s_roundtrip%s\",\"unit\":\"us/op\",\"value\":%.4f}\n", mode,
               suffix, per_op[REPS / 2]);
    return 0;
}
