// Counts the bytes a process asks the allocator for (malloc, calloc, realloc, aligned allocations) and writes
// "<bytes> <calls>" to $TM_ALLOC_REPORT.<pid> at exit (one file per process: a wrapper such as time(1) gets its own). Loaded with LD_PRELOAD by scripts/bench-workloads; never part of tokenmeter.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Atomic unsigned long long bytes, calls;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
// dlsym may itself call calloc before the real one is known: those few bytes come from here.
static char boot[16384];
static size_t boot_used;
static int resolving;

static void resolve(void) {
    resolving = 1;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_free = dlsym(RTLD_NEXT, "free");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    resolving = 0;
}

static int from_boot(void *p) { return (char *)p >= boot && (char *)p < boot + sizeof boot; }
static void count(size_t n) { atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed); atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); }

void *malloc(size_t n) { if (!real_malloc) resolve(); count(n); return real_malloc(n); }
void *calloc(size_t a, size_t b) {
    if (!real_calloc) {
        if (resolving) { size_t n = (a * b + 15) & ~(size_t)15; void *p = boot + boot_used; boot_used += n; memset(p, 0, n); return p; }
        resolve();
    }
    count(a * b);
    return real_calloc(a, b);
}
void *realloc(void *p, size_t n) {
    if (!real_realloc) resolve();
    count(n);
    if (from_boot(p)) { void *q = real_malloc(n); memcpy(q, p, n); return q; }
    return real_realloc(p, n);
}
void free(void *p) { if (!p || from_boot(p)) return; if (!real_free) resolve(); real_free(p); }
int posix_memalign(void **p, size_t a, size_t n) { if (!real_posix_memalign) resolve(); count(n); return real_posix_memalign(p, a, n); }
void *aligned_alloc(size_t a, size_t n) { if (!real_aligned_alloc) resolve(); count(n); return real_aligned_alloc(a, n); }

__attribute__((destructor)) static void report(void) {
    const char *base = getenv("TM_ALLOC_REPORT");
    if (!base) return;
    char path[4096];
    snprintf(path, sizeof path, "%s.%d", base, (int)getpid());
    FILE *out = fopen(path, "w");
    if (!out) return;
    fprintf(out, "%llu %llu\n", (unsigned long long)bytes, (unsigned long long)calls);
    fclose(out);
}
