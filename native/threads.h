// The persistent worker pool (threads.c) and the process-wide lock of the
// kernels that use it. Internal to the library; library.c exports its size.
#ifndef MNIST_DNN_THREADS_H
#define MNIST_DNN_THREADS_H

#include <stdint.h>

// Most threads the pool runs (the caller plus workers).
#define MND_MAX_THREADS 256

// A unit of parallel work: runs task `task` of a job.
typedef void (*mnd_task_fn)(void *ctx, int32_t task);

// The process-wide lock of the pool's users: the pool, the GEMM's packing
// buffers and the GEMV job are shared by every caller thread (several Web
// Workers may each run a network), so a kernel that uses them holds the
// lock from planning to the end.
void mnd_lock(void);
void mnd_unlock(void);

// Pool size, for callers that hold the lock (mnd_pool_size takes it).
int32_t mnd_pool_threads(void);

// Logical CPUs available to this process (the pool's default size).
int32_t mnd_pool_cpu_count(void);
// Sets the pool size (1 = no workers, clamped to 1..MND_MAX_THREADS); takes
// the lock; returns the size now in use.
int32_t mnd_pool_resize(int32_t threads);
// The pool size (one per CPU until resized); takes the lock.
int32_t mnd_pool_size(void);
// Times the pool ran jobs on the calling thread alone; takes the lock.
int32_t mnd_pool_solo_count(void);

// Runs fn(ctx, 0..tasks-1), task 0 on the calling thread, the others on
// workers; returns when all are done. tasks must not exceed mnd_pool_threads().
void mnd_pool_run(mnd_task_fn fn, void *ctx, int32_t tasks);

#endif
