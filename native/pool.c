// A persistent worker pool, cheap enough that a 60 us GEMM still gains from
// a second core: workers spin on a generation counter for a short while
// after each job (a new job then starts in well under a microsecond) and
// only then sleep on a condition variable, so an idle library costs no CPU.
#include "pool.h"
#include "kernels.h"

#include <stdatomic.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
typedef HANDLE thread_t;
typedef SRWLOCK mutex_t;
typedef CONDITION_VARIABLE cond_t;
#define MUTEX_INIT(m) InitializeSRWLock(m)
#define MUTEX_LOCK(m) AcquireSRWLockExclusive(m)
#define MUTEX_UNLOCK(m) ReleaseSRWLockExclusive(m)
#define COND_INIT(c) InitializeConditionVariable(c)
#define COND_WAIT(c, m) SleepConditionVariableSRW(c, m, INFINITE, 0)
#define COND_BROADCAST(c) WakeAllConditionVariable(c)
#define CPU_RELAX() YieldProcessor()
#else
#include <pthread.h>
#include <unistd.h>
typedef pthread_t thread_t;
typedef pthread_mutex_t mutex_t;
typedef pthread_cond_t cond_t;
#define MUTEX_INIT(m) pthread_mutex_init(m, NULL)
#define MUTEX_LOCK(m) pthread_mutex_lock(m)
#define MUTEX_UNLOCK(m) pthread_mutex_unlock(m)
#define COND_INIT(c) pthread_cond_init(c, NULL)
#define COND_WAIT(c, m) pthread_cond_wait(c, m)
#define COND_BROADCAST(c) pthread_cond_broadcast(c)
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif
#endif

// Spin iterations (each a pause, ~10-40 ns) before a worker sleeps: long
// enough to bridge the TS work between two kernel calls of a training step.
#define SPIN_LIMIT 20000

#ifdef _WIN32
static SRWLOCK api_lock = SRWLOCK_INIT;
void mnd_lock(void) { AcquireSRWLockExclusive(&api_lock); }
void mnd_unlock(void) { ReleaseSRWLockExclusive(&api_lock); }
#else
static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;
void mnd_lock(void) { pthread_mutex_lock(&api_lock); }
void mnd_unlock(void) { pthread_mutex_unlock(&api_lock); }
#endif

static struct {
  thread_t threads[MND_MAX_THREADS];
  int32_t size; // workers + the calling thread; 0 = not started
  mutex_t mutex;
  cond_t wake;
  atomic_int generation;
  atomic_int sleepers;
  atomic_int pending;
  atomic_int quit;
  int start_generation; // what new workers treat as already seen
  mnd_task_fn fn;
  void *ctx;
  int32_t tasks;
} pool;

static int32_t worker_loop(int32_t index) {
  // Not the live counter: a job posted before this thread first runs must
  // still count as new to it.
  int seen = pool.start_generation;
  for (;;) {
    int spins = 0;
    while (atomic_load_explicit(&pool.generation, memory_order_acquire) ==
           seen) {
      if (++spins < SPIN_LIMIT) {
        CPU_RELAX();
        continue;
      }
      MUTEX_LOCK(&pool.mutex);
      atomic_fetch_add(&pool.sleepers, 1);
      while (atomic_load(&pool.generation) == seen)
        COND_WAIT(&pool.wake, &pool.mutex);
      atomic_fetch_sub(&pool.sleepers, 1);
      MUTEX_UNLOCK(&pool.mutex);
    }
    seen = atomic_load(&pool.generation);
    if (atomic_load(&pool.quit))
      return 0;
    // Every worker acknowledges every job, even with nothing to do, so no
    // worker can still be reading `generation` when the next job starts.
    if (index < pool.tasks)
      pool.fn(pool.ctx, index);
    atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
  }
}

#ifdef _WIN32
static DWORD WINAPI worker_main(LPVOID arg) {
  return (DWORD)worker_loop((int32_t)(intptr_t)arg);
}
#else
static void *worker_main(void *arg) {
  worker_loop((int32_t)(intptr_t)arg);
  return NULL;
}
#endif

static void signal_workers(void) {
  atomic_fetch_add(&pool.generation, 1);
  if (atomic_load(&pool.sleepers) > 0) {
    MUTEX_LOCK(&pool.mutex);
    COND_BROADCAST(&pool.wake);
    MUTEX_UNLOCK(&pool.mutex);
  }
}

static void stop_workers(void) {
  if (pool.size <= 1)
    return;
  atomic_store(&pool.quit, 1);
  signal_workers();
  for (int32_t i = 1; i < pool.size; i++) {
#ifdef _WIN32
    WaitForSingleObject(pool.threads[i], INFINITE);
    CloseHandle(pool.threads[i]);
#else
    pthread_join(pool.threads[i], NULL);
#endif
  }
  atomic_store(&pool.quit, 0);
}

// Workers run code of this library: join them before it is unmapped
// (dlclose, or process exit tearing the library down).
__attribute__((destructor)) static void pool_shutdown(void) {
  stop_workers();
  pool.size = 0;
}

MND_API int32_t mnd_cpu_count(void) {
#ifdef _WIN32
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return (int32_t)info.dwNumberOfProcessors;
#else
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int32_t)n : 1;
#endif
}

static int32_t set_threads(int32_t threads) {
  static int initialized = 0;
  if (!initialized) {
    MUTEX_INIT(&pool.mutex);
    COND_INIT(&pool.wake);
    initialized = 1;
  }
  if (threads < 1)
    threads = 1;
  if (threads > MND_MAX_THREADS)
    threads = MND_MAX_THREADS;
  if (threads == pool.size)
    return threads;
  stop_workers();
  pool.size = 1;
  pool.start_generation = atomic_load(&pool.generation);
  for (int32_t i = 1; i < threads; i++) {
#ifdef _WIN32
    pool.threads[i] =
        CreateThread(NULL, 0, worker_main, (LPVOID)(intptr_t)i, 0, NULL);
    if (!pool.threads[i])
      break;
#else
    if (pthread_create(&pool.threads[i], NULL, worker_main,
                       (void *)(intptr_t)i) != 0)
      break;
#endif
    pool.size = i + 1;
  }
  return pool.size;
}

MND_API int32_t mnd_set_threads(int32_t threads) {
  mnd_lock();
  const int32_t size = set_threads(threads);
  mnd_unlock();
  return size;
}

// Called with the lock held (by the GEMM) or from mnd_threads below.
static int32_t threads_locked(void) {
  if (pool.size == 0)
    set_threads(mnd_cpu_count());
  return pool.size;
}

MND_API int32_t mnd_threads(void) {
  mnd_lock();
  const int32_t size = threads_locked();
  mnd_unlock();
  return size;
}

int32_t mnd_pool_threads(void) { return threads_locked(); }

void mnd_pool_run(mnd_task_fn fn, void *ctx, int32_t tasks) {
  if (tasks <= 1 || threads_locked() <= 1 || tasks > pool.size) {
    for (int32_t t = 0; t < tasks; t++)
      fn(ctx, t);
    return;
  }
  pool.fn = fn;
  pool.ctx = ctx;
  pool.tasks = tasks;
  atomic_store(&pool.pending, pool.size - 1);
  signal_workers();
  fn(ctx, 0);
  while (atomic_load_explicit(&pool.pending, memory_order_acquire) > 0)
    CPU_RELAX();
}
