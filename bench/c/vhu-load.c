/*
 * A vhost-user virtio-scmi driver in C that costs next to nothing (issue 18), so the daemon's own
 * cost is what a benchmark sees. Written from the vhost-user protocol (QEMU docs/interop) and the
 * split virtqueue of VIRTIO 1.3 (2.7): one process plays QEMU (the memfd guest RAM, the setup
 * messages, the kick and call eventfds) and the guest's driver (a cmdq of 256 entries, each
 * command one readable and one writable descriptor, EVENT_IDX when the backend offers it).
 *
 * Two ways to drive it:
 *   - closed loop (--rate 0, the default): each VM keeps --inflight commands posted, re-posting
 *     each as its reply is harvested; a kick only when the device asked for one (avail_event);
 *   - paced (--rate R): each VM sends R commands/s, one in flight, at its own offset in the period
 *     (as unsynchronised guests would); one thread serves every VM through epoll.
 * Every reply is checked (the header echoes the request's, the status is SUCCESS); latency is from
 * the post to the harvest. With --daemon-pid the daemon's CPU time (its threads' schedstat, read
 * after the warm-up and at the end) is divided by the messages, and its resident memory growth by
 * the VMs.
 *
 * Usage: vhu-load [options] SOCKET...   (a SOCKET with %d names --vms sockets, numbered from 1)
 *   --vms N  --inflight K (1..128)  --rate R  --seconds S  --warmup-ms MS
 *   --command version|sensor  --daemon-pid PID  --no-event-idx
 *   --stream: the SOCKETs are `vscmi serve --socket` ones (frames of u32 length + message), for
 *   comparing the stream transport with the same driver; "kicks" are then sends.
 * Prints one JSON object (the keys of `vscmi bench --json`, plus kicks and calls per message).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
    GET_FEATURES = 1, SET_FEATURES = 2, SET_OWNER = 3, SET_MEM_TABLE = 5, SET_VRING_NUM = 8,
    SET_VRING_ADDR = 9, SET_VRING_BASE = 10, SET_VRING_KICK = 12, SET_VRING_CALL = 13,
    GET_PROTOCOL_FEATURES = 15, SET_PROTOCOL_FEATURES = 16, SET_VRING_ENABLE = 18,
};
#define FLAG_VERSION 0x1u
#define FLAG_REPLY 0x4u
#define FLAG_NEED_REPLY 0x8u
#define F_PROTOCOL_FEATURES (1ull << 30)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)
#define PROTOCOL_F_REPLY_ACK (1ull << 3)
#define DESC_F_NEXT 1
#define DESC_F_WRITE 2
#define USED_F_NO_NOTIFY 1

#define QUEUE 256                /* QEMU's vhost-user-scmi ring size */
#define SLOTS (QUEUE / 2)        /* two descriptors per command */
#define SLOT_BYTES 512           /* request at +0, reply at +256 */
#define GUEST_BASE 0x40000000ull /* guest-physical RAM base (QEMU virt) */
#define USER_OFFSET 0x7F0000000000ull
#define DESC_AT 0x0000
#define AVAIL_AT 0x1000
#define USED_AT 0x2000
#define SLOTS_AT 0x4000
#define MEMORY_BYTES (1u << 20)

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct used_elem { uint32_t id, len; };

struct vm {
    const char *path;
    int sock, kick, call;
    uint8_t *mem;
    struct desc *desc;
    volatile uint16_t *avail;          /* flags, idx, ring[QUEUE], used_event */
    volatile uint8_t *used;            /* flags, idx, ring[QUEUE] {id, len}, avail_event */
    int event_idx;
    uint16_t avail_idx, kicked_idx, last_used;
    uint16_t free_slots[SLOTS];
    int free_count, inflight;
    uint32_t token;
    uint32_t sent_header[SLOTS];
    uint64_t sent_at[SLOTS];
    uint64_t next_due;
    /* --stream: frames in and out */
    uint8_t in[65536];
    size_t in_len;
    uint8_t out[SLOTS * 16];
    size_t out_len;
};

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("vhu-load: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    exit(1);
}

/* One vhost-user message with optional fds; with NEED_REPLY (or a GET) waits for the u64 answer. */
static uint64_t request(struct vm *vm, uint32_t code, int need_reply, const void *payload, uint32_t size, const int *fds, int nfds)
{
    uint8_t message[12 + 8 + 32 * 8];
    uint32_t header[3] = { code, FLAG_VERSION | (need_reply ? FLAG_NEED_REPLY : 0), size };
    memcpy(message, header, 12);
    memcpy(message + 12, payload, size);
    struct iovec iov = { message, 12 + size };
    char control[CMSG_SPACE(sizeof(int) * 8)];
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0) {
        memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    if (sendmsg(vm->sock, &msg, MSG_NOSIGNAL) != (ssize_t)(12 + size))
        die("%s: sending vhost-user request %u: %s", vm->path, code, strerror(errno));
    int get = code == GET_FEATURES || code == GET_PROTOCOL_FEATURES;
    if (!get && !need_reply)
        return 0;
    uint8_t reply[20];
    size_t got = 0;
    while (got < sizeof reply) {
        ssize_t n = recv(vm->sock, reply + got, sizeof reply - got, 0);
        if (n <= 0)
            die("%s: no reply to vhost-user request %u (%s)", vm->path, code, n == 0 ? "closed" : strerror(errno));
        got += (size_t)n;
    }
    uint32_t reply_header[3];
    uint64_t value;
    memcpy(reply_header, reply, 12);
    memcpy(&value, reply + 12, 8);
    if (reply_header[0] != code || !(reply_header[1] & FLAG_REPLY) || reply_header[2] != 8)
        die("%s: malformed reply to vhost-user request %u", vm->path, code);
    if (!get && value != 0)
        die("%s: the backend refused vhost-user request %u (status %llu)", vm->path, code, (unsigned long long)value);
    return value;
}

/* Connects vm->sock to the Unix socket at vm->path (SOCK_* flags added to the type). */
static void connect_unix(struct vm *vm, int flags)
{
    vm->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen(vm->path) >= sizeof address.sun_path)
        die("%s: the socket path is longer than %zu bytes", vm->path, sizeof address.sun_path - 1);
    strcpy(address.sun_path, vm->path);
    if (vm->sock < 0 || connect(vm->sock, (struct sockaddr *)&address, sizeof address) != 0)
        die("%s: cannot connect: %s", vm->path, strerror(errno));
}

static void connect_vm(struct vm *vm, int want_event_idx)
{
    connect_unix(vm, 0);

    int memfd = memfd_create("vhu-load-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memfd < 0 || ftruncate(memfd, MEMORY_BYTES) != 0)
        die("memfd: %s", strerror(errno));
    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW); /* as QEMU's memfd backend */
    vm->mem = mmap(NULL, MEMORY_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (vm->mem == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    vm->desc = (struct desc *)(vm->mem + DESC_AT);
    vm->avail = (volatile uint16_t *)(vm->mem + AVAIL_AT);
    vm->used = vm->mem + USED_AT;

    uint64_t offered = request(vm, GET_FEATURES, 0, NULL, 0, NULL, 0);
    if (!(offered & F_VERSION_1))
        die("%s: the backend does not offer VIRTIO_F_VERSION_1", vm->path);
    int reply_ack = 0;
    if (offered & F_PROTOCOL_FEATURES) {
        uint64_t protocol = request(vm, GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0) & PROTOCOL_F_REPLY_ACK;
        request(vm, SET_PROTOCOL_FEATURES, 0, &protocol, 8, NULL, 0);
        reply_ack = protocol != 0;
    }
    request(vm, SET_OWNER, reply_ack, NULL, 0, NULL, 0);
    /* cmdq only: no P2A_CHANNELS, so the device has no eventq to serve. */
    uint64_t features = F_VERSION_1 | (offered & F_PROTOCOL_FEATURES) | (want_event_idx ? offered & F_EVENT_IDX : 0);
    vm->event_idx = (features & F_EVENT_IDX) != 0;
    request(vm, SET_FEATURES, reply_ack, &features, 8, NULL, 0);

    uint64_t table[1 + 4] = { 1, GUEST_BASE, MEMORY_BYTES, GUEST_BASE + USER_OFFSET, 0 };
    request(vm, SET_MEM_TABLE, reply_ack, table, sizeof table, &memfd, 1);
    close(memfd);

    uint32_t num[2] = { 0, QUEUE }, base[2] = { 0, 0 }, enable[2] = { 0, 1 };
    struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr = {
        0, 0, GUEST_BASE + USER_OFFSET + DESC_AT, GUEST_BASE + USER_OFFSET + USED_AT, GUEST_BASE + USER_OFFSET + AVAIL_AT, 0 };
    request(vm, SET_VRING_NUM, reply_ack, num, 8, NULL, 0);
    request(vm, SET_VRING_BASE, reply_ack, base, 8, NULL, 0);
    request(vm, SET_VRING_ADDR, reply_ack, &addr, sizeof addr, NULL, 0);
    vm->kick = eventfd(0, EFD_CLOEXEC);
    vm->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t index = 0;
    request(vm, SET_VRING_KICK, reply_ack, &index, 8, &vm->kick, 1);
    request(vm, SET_VRING_CALL, reply_ack, &index, 8, &vm->call, 1);
    if (offered & F_PROTOCOL_FEATURES)
        request(vm, SET_VRING_ENABLE, reply_ack, enable, 8, NULL, 0);

    /* Fixed descriptor pairs: slot s is request 2s (readable, NEXT) and reply 2s+1 (writable). */
    for (int s = 0; s < SLOTS; s++) {
        uint64_t at = GUEST_BASE + SLOTS_AT + (uint64_t)s * SLOT_BYTES;
        vm->desc[2 * s] = (struct desc){ at, 0, DESC_F_NEXT, (uint16_t)(2 * s + 1) };
        vm->desc[2 * s + 1] = (struct desc){ at + 256, 136, DESC_F_WRITE, 0 };
        vm->free_slots[vm->free_count++] = (uint16_t)(SLOTS - 1 - s);
    }
}

/* --stream: a Unix stream socket of `vscmi serve --socket`, each message a frame (u32 length, then the bytes). */
static void connect_stream(struct vm *vm)
{
    connect_unix(vm, SOCK_NONBLOCK);
    for (int s = 0; s < SLOTS; s++)
        vm->free_slots[vm->free_count++] = (uint16_t)(SLOTS - 1 - s);
}

static int stream;
static int command_sensor; /* 0: BASE PROTOCOL_VERSION, 1: SENSOR_READING_GET of sensor 0 */

/* Writes one command into a free slot and adds it to the available ring (not yet published). */
static void post(struct vm *vm, uint64_t at)
{
    uint16_t slot = vm->free_slots[--vm->free_count];
    uint32_t protocol = command_sensor ? 0x15 : 0x10, message = command_sensor ? 6 : 0;
    /* A stream reply is matched by its token: the slot, with a sequence above it. */
    uint32_t token = stream ? (uint32_t)slot | ((vm->token++ & 0x7) << 7) : (vm->token++ & 0x3FF);
    uint32_t header = message | (protocol << 10) | (token << 18);
    uint32_t words[3] = { header, 0, 0 }; /* sensor id 0, flags 0 (synchronous) */
    uint32_t length = command_sensor ? 12 : 4;
    vm->sent_header[slot] = header;
    vm->sent_at[slot] = at;
    vm->inflight++;
    if (stream) {
        memcpy(vm->out + vm->out_len, &length, 4);
        memcpy(vm->out + vm->out_len + 4, words, length);
        vm->out_len += 4 + length;
        return;
    }
    uint8_t *request_bytes = vm->mem + SLOTS_AT + (size_t)slot * SLOT_BYTES;
    memcpy(request_bytes, words, length);
    if (vm->desc[2 * slot].len != length) /* the driver's own cache line: written only when it changes */
        vm->desc[2 * slot].len = length;
    vm->avail[2 + vm->avail_idx % QUEUE] = (uint16_t)(2 * slot);
    vm->avail_idx++;
}

static int need_event(uint16_t event, uint16_t new_index, uint16_t old_index)
{
    return (uint16_t)(new_index - event - 1) < (uint16_t)(new_index - old_index);
}

static long kicks, calls;

/* Publishes avail.idx (release) and kicks when the device asked to be told (VIRTIO 2.7.10). */
static void publish(struct vm *vm)
{
    if (stream) {
        /* Every frame posted since the last publish in one send, as a pipelining agent would. */
        size_t sent = 0;
        while (sent < vm->out_len) {
            ssize_t n = send(vm->sock, vm->out + sent, vm->out_len - sent, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                die("%s: send: %s", vm->path, strerror(errno));
            if (n > 0)
                sent += (size_t)n;
        }
        vm->out_len = 0;
        kicks++;
        return;
    }
    __atomic_store_n(&vm->avail[1], vm->avail_idx, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    int kick;
    if (vm->event_idx) {
        uint16_t avail_event = __atomic_load_n((volatile uint16_t *)(vm->used + 4 + 8 * QUEUE), __ATOMIC_ACQUIRE);
        kick = need_event(avail_event, vm->avail_idx, vm->kicked_idx);
    } else {
        kick = !(__atomic_load_n((volatile uint16_t *)vm->used, __ATOMIC_ACQUIRE) & USED_F_NO_NOTIFY);
    }
    vm->kicked_idx = vm->avail_idx;
    if (kick) {
        uint64_t one = 1;
        if (write(vm->kick, &one, 8) != 8)
            die("%s: kick: %s", vm->path, strerror(errno));
        kicks++;
    }
}

static uint64_t *latency;
static size_t latency_count, latency_capacity;
static long messages, errors;
static int measuring;

/* Takes every used entry, checks each reply, and re-arms the used-buffer interrupt. */
static void account(struct vm *vm, uint16_t slot, int ok, uint64_t at)
{
    if (measuring) {
        if (!ok)
            errors++;
        if (latency_count == latency_capacity) {
            latency_capacity = latency_capacity ? latency_capacity * 2 : 1 << 20;
            latency = realloc(latency, latency_capacity * sizeof *latency);
            if (!latency)
                die("out of memory");
        }
        latency[latency_count++] = at - vm->sent_at[slot];
        messages++;
    }
    vm->free_slots[vm->free_count++] = slot;
    vm->inflight--;
}

/* --stream: reads what the socket has and takes every whole reply frame. */
static int harvest_stream(struct vm *vm, uint64_t at)
{
    int taken = 0;
    for (;;) {
        ssize_t n = recv(vm->sock, vm->in + vm->in_len, sizeof vm->in - vm->in_len, 0);
        if (n == 0)
            die("%s: the daemon closed the connection", vm->path);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            die("%s: recv: %s", vm->path, strerror(errno));
        }
        vm->in_len += (size_t)n;
        size_t at_byte = 0;
        while (vm->in_len - at_byte >= 4) {
            uint32_t length;
            memcpy(&length, vm->in + at_byte, 4);
            if (length < 4 || length > 4096)
                die("%s: a %u-byte frame", vm->path, length);
            if (vm->in_len - at_byte < 4 + length)
                break;
            uint32_t header, status = 1;
            memcpy(&header, vm->in + at_byte + 4, 4);
            if (length >= 8)
                memcpy(&status, vm->in + at_byte + 8, 4);
            at_byte += 4 + length;
            if (((header >> 8) & 3) != 0)
                continue; /* a notification or delayed response: not ours to count */
            uint16_t slot = (uint16_t)(((header >> 18) & 0x3FF) & (SLOTS - 1));
            account(vm, slot, header == vm->sent_header[slot] && status == 0, at);
            taken++;
        }
        memmove(vm->in, vm->in + at_byte, vm->in_len - at_byte);
        vm->in_len -= at_byte;
    }
    return taken;
}

static int harvest(struct vm *vm, uint64_t at)
{
    if (stream)
        return harvest_stream(vm, at);
    int taken = 0;
    for (;;) {
        uint16_t used_idx = __atomic_load_n((volatile uint16_t *)(vm->used + 2), __ATOMIC_ACQUIRE);
        while (vm->last_used != used_idx) {
            struct used_elem e;
            memcpy(&e, (const void *)(vm->used + 4 + 8 * (vm->last_used % QUEUE)), sizeof e);
            vm->last_used++;
            if (e.id >= QUEUE || e.id % 2 != 0)
                die("%s: the device used descriptor %u, which no command starts", vm->path, e.id);
            uint16_t slot = (uint16_t)(e.id / 2);
            const uint8_t *reply = vm->mem + SLOTS_AT + (size_t)slot * SLOT_BYTES + 256;
            uint32_t header, status;
            memcpy(&header, reply, 4);
            memcpy(&status, reply + 4, 4);
            account(vm, slot, e.len >= 8 && header == vm->sent_header[slot] && status == 0, at);
            taken++;
        }
        if (!vm->event_idx)
            return taken;
        /* used_event = what we have read: interrupt us for the next one; then look again. */
        __atomic_store_n(&vm->avail[2 + QUEUE], vm->last_used, __ATOMIC_RELEASE);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n((volatile uint16_t *)(vm->used + 2), __ATOMIC_ACQUIRE) == vm->last_used)
            return taken;
    }
}

static long long daemon_cpu_ns(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *tasks = opendir(path);
    if (!tasks)
        return -1;
    long long total = 0;
    struct dirent *task;
    while ((task = readdir(tasks))) {
        if (task->d_name[0] == '.')
            continue;
        char file[320];
        snprintf(file, sizeof file, "/proc/%d/task/%s/schedstat", pid, task->d_name);
        FILE *f = fopen(file, "r");
        long long ns;
        if (f && fscanf(f, "%lld", &ns) == 1)
            total += ns;
        if (f)
            fclose(f);
    }
    closedir(tasks);
    return total;
}

static long daemon_rss_kib(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static int compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile(double p)
{
    if (latency_count == 0)
        return 0;
    size_t i = (size_t)(p * (double)latency_count);
    return (double)latency[i < latency_count ? i : latency_count - 1] / 1e3;
}

static void usage(void)
{
    fputs("usage: vhu-load [--vms N] [--inflight K] [--rate R] [--seconds S] [--warmup-ms MS]\n"
          "                [--command version|sensor] [--daemon-pid PID] [--no-event-idx] [--stream] SOCKET...\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    int vms = 0, inflight = 1, pid = 0, event_idx = 1, warmup_ms = 300;
    double rate = 0, seconds = 5;
    const char *paths[256];
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--vms") && v) vms = atoi(v), i++;
        else if (!strcmp(a, "--inflight") && v) inflight = atoi(v), i++;
        else if (!strcmp(a, "--rate") && v) rate = atof(v), i++;
        else if (!strcmp(a, "--seconds") && v) seconds = atof(v), i++;
        else if (!strcmp(a, "--warmup-ms") && v) warmup_ms = atoi(v), i++;
        else if (!strcmp(a, "--daemon-pid") && v) pid = atoi(v), i++;
        else if (!strcmp(a, "--command") && v) {
            if (strcmp(v, "version") && strcmp(v, "sensor"))
                die("--command %s: expected version or sensor", v);
            command_sensor = !strcmp(v, "sensor"), i++;
        }
        else if (!strcmp(a, "--no-event-idx")) event_idx = 0;
        else if (!strcmp(a, "--stream")) stream = 1;
        else if (a[0] == '-') usage();
        else if (npaths < 256) paths[npaths++] = a;
        else die("more than 256 sockets");
    }
    if (npaths == 0)
        usage();
    if (inflight < 1 || inflight > SLOTS)
        die("--inflight %d is outside 1..%d", inflight, SLOTS);
    if (rate < 0 || rate > 1e6 || seconds <= 0 || seconds > 3600)
        die("--rate %g or --seconds %g is out of range", rate, seconds);
    if (rate > 0)
        inflight = 1;

    /* Expand SOCKET%d to --vms sockets. */
    char **names = calloc(256, sizeof *names);
    int n = 0;
    for (int p = 0; p < npaths; p++) {
        if (strstr(paths[p], "%d")) {
            if (vms < 1 || vms > 256)
                die("%s names numbered sockets: give --vms 1..256", paths[p]);
            for (int k = 1; k <= vms && n < 256; k++) {
                names[n] = malloc(strlen(paths[p]) + 12);
                sprintf(names[n++], paths[p], k);
            }
        } else {
            names[n++] = strdup(paths[p]);
        }
    }

    long rss_before = pid ? daemon_rss_kib(pid) : -1;
    struct vm *all = calloc((size_t)n, sizeof *all);
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    for (int k = 0; k < n; k++) {
        all[k].path = names[k];
        if (stream)
            connect_stream(&all[k]);
        else
            connect_vm(&all[k], event_idx);
        struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)k };
        epoll_ctl(epoll, EPOLL_CTL_ADD, stream ? all[k].sock : all[k].call, &e);
    }

    uint64_t start = now_ns(), warm_until = start + (uint64_t)warmup_ms * 1000000ull;
    uint64_t end = warm_until + (uint64_t)(seconds * 1e9);
    uint64_t period = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
    for (int k = 0; k < n; k++) {
        all[k].next_due = start + period * (uint64_t)k / (uint64_t)n;
        if (rate == 0) {
            for (int j = 0; j < inflight; j++)
                post(&all[k], start);
            publish(&all[k]);
        }
    }

    long long cpu_before = -1;
    long kicks_before = 0, calls_before = 0;
    uint64_t measured_from = 0;
    struct epoll_event ready[64];
    for (;;) {
        uint64_t t = now_ns();
        if (!measuring && t >= warm_until) {
            measuring = 1;
            measured_from = t;
            cpu_before = pid ? daemon_cpu_ns(pid) : -1;
            kicks_before = kicks, calls_before = calls;
        }
        if (t >= end)
            break;
        /* Paced: post what is due; sleep until the next due time or a call. */
        struct timespec timeout = { 0, 0 };
        if (rate > 0) {
            uint64_t next = end;
            for (int k = 0; k < n; k++) {
                struct vm *vm = &all[k];
                if (vm->inflight == 0 && vm->next_due <= t) {
                    post(vm, t);
                    publish(vm);
                    vm->next_due += period;
                    if (vm->next_due < t)
                        vm->next_due = t; /* behind: do not burst to catch up */
                }
                if (vm->inflight == 0 && vm->next_due < next)
                    next = vm->next_due;
            }
            uint64_t wait = next > t ? next - t : 0;
            timeout.tv_sec = (time_t)(wait / 1000000000ull);
            timeout.tv_nsec = (long)(wait % 1000000000ull);
        } else {
            uint64_t wait = end - t;
            timeout.tv_sec = (time_t)(wait / 1000000000ull);
            timeout.tv_nsec = (long)(wait % 1000000000ull);
        }
        int count = epoll_pwait2(epoll, ready, 64, &timeout, NULL);
        if (count < 0 && errno != EINTR)
            die("epoll: %s", strerror(errno));
        uint64_t at = now_ns();
        for (int i = 0; i < count; i++) {
            struct vm *vm = &all[ready[i].data.u32];
            uint64_t value;
            if (!stream && read(vm->call, &value, 8) == 8)
                calls++;
            int taken = harvest(vm, at);
            if (rate == 0 && taken > 0) {
                for (int j = 0; j < taken; j++)
                    post(vm, at);
                publish(vm);
            }
        }
    }
    double elapsed = (double)(now_ns() - measured_from) / 1e9;
    long long cpu_after = pid ? daemon_cpu_ns(pid) : -1;
    long rss_after = pid ? daemon_rss_kib(pid) : -1;

    qsort(latency, latency_count, sizeof *latency, compare);
    printf("{\"transport\": \"%s (C driver)\", \"vms\": %d, \"inflight\": %d, \"rate_per_vm\": %g, \"event_idx\": %s, "
           "\"seconds\": %.3f, \"messages\": %ld, \"errors\": %ld, \"messages_per_second\": %.1f, "
           "\"p50_us\": %.2f, \"p99_us\": %.2f, \"p999_us\": %.2f, \"kicks_per_message\": %.4f, \"calls_per_message\": %.4f",
           stream ? "unix" : "vhost-user", n, inflight, rate, all[0].event_idx ? "true" : "false", elapsed, messages, errors, (double)messages / elapsed,
           percentile(0.5), percentile(0.99), percentile(0.999),
           messages ? (double)(kicks - kicks_before) / (double)messages : 0, messages ? (double)(calls - calls_before) / (double)messages : 0);
    if (cpu_before >= 0 && cpu_after >= 0 && messages > 0)
        printf(", \"daemon_cpu_ns_per_message\": %.1f, \"daemon_cpu_percent_of_core\": %.2f",
               (double)(cpu_after - cpu_before) / (double)messages, 100.0 * (double)(cpu_after - cpu_before) / (elapsed * 1e9));
    if (rss_before >= 0 && rss_after >= 0)
        printf(", \"daemon_rss_kib_per_vm\": %.1f", (double)(rss_after - rss_before) / n);
    printf("}\n");
    return errors == 0 ? 0 : 3;
}
