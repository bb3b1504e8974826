/*
 * Why the posix backend's wait channel uses process-shared semaphores and not a process-shared
 * mutex + condition variable (platform/posix/PosixWaitChannel):
 *
 *   pshared_wait roundtrip sem|cond N   ping-pong between two processes, N round trips;
 *                                       prints {"case", "unit": "us/op", "value"}
 *   pshared_wait killed-sleeper sem|cond
 *       a child sleeps on the primitive and is SIGKILLed; the parent wakes, a new sleeper comes,
 *       the parent wakes again and reports whether that wake returned within 2 s
 *       (glibc < 2.41: pthread_cond_broadcast waits for the killed sleeper's __g_refs: hangs).
 *
 * POSIX.1-2017 only: cc -O2 -o pshared_wait pshared_wait.c -lpthread
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
    sem_t sem[2];
    pthread_mutex_t mutex;
    pthread_cond_t cond[2];
    volatile int turn;
    volatile int ready;
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void usleep_(long us) {
    struct timespec d = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&d, &d) != 0 && errno == EINTR) {}
}
#define usleep usleep_

/* anonymous shared memory as the posix backend makes it: a named block unlinked at once */
static struct shared *make(void) {
    char name[32];
    snprintf(name, sizeof name, "/mp4j-probe-%ld", (long) getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    shm_unlink(name);
    if (fd < 0 || ftruncate(fd, sizeof(struct shared)) != 0) { perror("shm"); exit(1); }
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    memset(s, 0, sizeof *s);
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&s->mutex, &ma);
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    for (int i = 0; i < 2; i++) {
        sem_init(&s->sem[i], 1, 0);
        pthread_cond_init(&s->cond[i], &ca);
    }
    return s;
}

static void lock(struct shared *s) {
    if (pthread_mutex_lock(&s->mutex) == EOWNERDEAD) pthread_mutex_consistent(&s->mutex);
}

/* side me waits for turn == me, then gives the turn to the other side */
static void cond_step(struct shared *s, int me) {
    lock(s);
    while (s->turn != me) pthread_cond_wait(&s->cond[me], &s->mutex);
    s->turn = 1 - me;
    pthread_cond_signal(&s->cond[1 - me]);
    pthread_mutex_unlock(&s->mutex);
}

static void sem_step(struct shared *s, int me) {
    while (sem_wait(&s->sem[me]) != 0 && errno == EINTR) {}
    sem_post(&s->sem[1 - me]);
}

static int roundtrip(int cond, long n) {
    struct shared *s = make();
    s->turn = 0;
    pid_t child = fork();
    if (child == 0) {
        for (long i = 0; i < n; i++) cond ? cond_step(s, 1) : sem_step(s, 1);
        _exit(0);
    }
    double t0 = now();
    if (!cond) sem_post(&s->sem[0]);
    for (long i = 0; i < n; i++) cond ? cond_step(s, 0) : sem_step(s, 0);
    double t = now() - t0;
    waitpid(child, NULL, 0);
    printf("{\"case\": \"c_pshared_%s_roundtrip\", \"unit\": \"us/op\", \"value\": %.3f}\n",
           cond ? "cond" : "sem", t / n * 1e6);
    return 0;
}

static void *waker(void *arg) {
    struct shared *s = arg;
    lock(s);
    pthread_cond_broadcast(&s->cond[0]);
    pthread_mutex_unlock(&s->mutex);
    s->ready = 1;
    return NULL;
}

static int killed_sleeper(int cond) {
    struct shared *s = make();
    pid_t child = fork();
    if (child == 0) {
        if (cond) { lock(s); s->ready = 1; pthread_cond_wait(&s->cond[0], &s->mutex); }
        else { s->ready = 1; sem_wait(&s->sem[0]); }
        _exit(0);
    }
    while (!s->ready) usleep(100);
    usleep(20000); /* the child is asleep now */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    s->ready = 0;
    /* a first wake (the killed sleeper's group becomes the one being woken) */
    if (cond) { lock(s); pthread_cond_broadcast(&s->cond[0]); pthread_mutex_unlock(&s->mutex); }
    else sem_post(&s->sem[0]);
    /* a new sleeper in another process, then a second wake */
    pid_t second = fork();
    if (second == 0) {
        struct timespec d;
        clock_gettime(CLOCK_REALTIME, &d);
        d.tv_sec += 1;
        if (cond) { lock(s); pthread_cond_timedwait(&s->cond[0], &s->mutex, &d); pthread_mutex_unlock(&s->mutex); }
        else { sem_timedwait(&s->sem[0], &d); }
        _exit(0);
    }
    usleep(20000);
    int ok;
    if (cond) {
        pthread_t t;
        pthread_create(&t, NULL, waker, s);
        double t0 = now();
        while (!s->ready && now() - t0 < 2.0) usleep(1000);
        ok = s->ready;
    } else {
        ok = sem_post(&s->sem[0]) == 0;
    }
    kill(second, SIGKILL);
    waitpid(second, NULL, 0);
    printf("{\"case\": \"c_pshared_%s_killed_sleeper\", \"wakes_returned\": %s}\n",
           cond ? "cond" : "sem", ok ? "true" : "false");
    fflush(stdout);
    _exit(0); /* a hung waker thread must not keep us */
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "roundtrip") == 0)
        return roundtrip(strcmp(argv[2], "cond") == 0, argc > 3 ? atol(argv[3]) : 100000);
    if (argc >= 3 && strcmp(argv[1], "killed-sleeper") == 0)
        return killed_sleeper(strcmp(argv[2], "cond") == 0);
    fprintf(stderr, "usage: %s roundtrip sem|cond [N] | killed-sleeper sem|cond\n", argv[0]);
    return 2;
}
