// Persistent worker pool used by the GEMM. Internal to the library.
#ifndef MNIST_DNN_POOL_H
#define MNIST_DNN_POOL_H

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

// Pool size, for callers that hold the lock (mnd_threads takes it).
int32_t mnd_pool_threads(void);

// Runs fn(ctx, 0..tasks-1), task 0 on the calling thread, the others on
// workers; returns when all are done. tasks must not exceed mnd_threads().
void mnd_pool_run(mnd_task_fn fn, void *ctx, int32_t tasks);

#endif
