/*
 * The wake-up floor of one request in flight between two processes (issue 18): process A writes
 * an eventfd and waits on another, process B waits on the first and answers on the second, as a
 * vhost-user driver kicks and the backend calls. No SCMI, no rings: only the two wake-ups that any
 * 1-in-flight round trip between a guest-side driver and the daemon pays.
 *
 * Usage: pingpong [ROUND_TRIPS]   prints JSON: round trips/s and latency percentiles in µs.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    if (n < 100 || n > 100000000) {
        fprintf(stderr, "pingpong: ROUND_TRIPS %ld is outside 100..100000000\n", n);
        return 2;
    }
    int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);
    if (kick < 0 || call < 0) {
        perror("pingpong: eventfd");
        return 1;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("pingpong: fork");
        return 1;
    }
    uint64_t one = 1, value;
    if (child == 0) {
        for (long i = 0; i < n; i++) {
            if (read(kick, &value, sizeof value) != sizeof value || write(call, &one, sizeof one) != sizeof one)
                _exit(1);
        }
        _exit(0);
    }
    uint64_t *latency = malloc(sizeof *latency * (size_t)n);
    if (!latency) {
        fprintf(stderr, "pingpong: out of memory\n");
        return 1;
    }
    uint64_t start = now_ns();
    for (long i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        if (write(kick, &one, sizeof one) != sizeof one || read(call, &value, sizeof value) != sizeof value) {
            perror("pingpong: eventfd round trip");
            return 1;
        }
        latency[i] = now_ns() - t0;
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    int status;
    waitpid(child, &status, 0);
    qsort(latency, (size_t)n, sizeof *latency, compare);
    printf("{\"round_trips\": %ld, \"round_trips_per_second\": %.1f, \"p50_us\": %.2f, \"p99_us\": %.2f, \"p999_us\": %.2f}\n",
           n, (double)n / seconds, latency[n / 2] / 1e3, latency[(long)(n * 0.99)] / 1e3, latency[(long)(n * 0.999)] / 1e3);
    free(latency);
    return 0;
}
