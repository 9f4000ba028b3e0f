// A persistent worker pool, cheap enough that a 60 us GEMM still gains from
// a second core: workers spin on a generation counter for a short while
// after each job (a new job then starts in well under a microsecond) and
// only then sleep on a condition variable, so an idle library costs no CPU.
//
// On a busy machine (another process wanting the same cores) a worker may
// wait a whole scheduler time slice for a core, and the job with it. The
// pool watches for that: it times each job and the caller's own share of
// it, and when jobs repeatedly take far longer than that share (the workers
// were not running), it runs the next jobs on the calling thread alone, then
// tries the workers again. The caller also yields its core while it waits,
// instead of spinning against the worker it waits for. The split of work
// never changes results (the GEMM is bit-identical for any thread count).
#if defined(__wasm__)
// WebAssembly has no threads here: every job runs on the calling thread.
#include "threads.h"

void mnd_lock(void) {}
void mnd_unlock(void) {}
int32_t mnd_pool_threads(void) { return 1; }
int32_t mnd_pool_cpu_count(void) { return 1; }
int32_t mnd_pool_resize(int32_t threads) { return (void)threads, 1; }
int32_t mnd_pool_size(void) { return 1; }
int32_t mnd_pool_solo_count(void) { return 0; }
void mnd_pool_run(mnd_task_fn fn, void *ctx, int32_t tasks) {
  for (int32_t t = 0; t < tasks; t++)
    fn(ctx, t);
}
#else
#ifndef _WIN32
// clock_gettime and sched_yield under -std=c11, and sysconf's
// _SC_NPROCESSORS_ONLN (an extension) on glibc and macOS.
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define _DARWIN_C_SOURCE
#endif
#include "threads.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

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
#define YIELD() SwitchToThread()
#else
#include <pthread.h>
#include <sched.h>
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
#define YIELD() sched_yield()
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
// Spins of the calling thread waiting for workers before it yields its core.
#define WAIT_SPINS 2000

// Oversubscription: a job counts as "late" when it took more than LATE_RATIO
// times the caller's own share and at least LATE_MIN_NS longer (a worker
// that did not get a core, not noise). After LATE_JOBS late jobs (each
// on-time job forgives one), the next jobs run on the caller alone: SOLO_JOBS
// of them, doubling each time the workers turn out late again right after
// (up to 64x), back to SOLO_JOBS once a trial of the workers goes well.
#define LATE_RATIO 2
#define LATE_MIN_NS 50000
#define LATE_JOBS 3
#define SOLO_JOBS 1000
#define TRIAL_JOBS 200

static int64_t now_ns(void) {
#ifdef _WIN32
  LARGE_INTEGER t, f;
  QueryPerformanceCounter(&t);
  QueryPerformanceFrequency(&f);
  return (int64_t)((double)t.QuadPart * 1e9 / (double)f.QuadPart);
#else
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
#endif
}

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
  int32_t late;        // late jobs (one forgiven per on-time job)
  int32_t solo_left;   // jobs still to run on the caller alone
  int32_t solo_spells; // times the pool fell back to the caller alone
  int32_t backoff;     // doublings of the next solo spell
  int32_t since_solo;  // jobs run with workers since the last solo spell
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

int32_t mnd_pool_cpu_count(void) {
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

int32_t mnd_pool_resize(int32_t threads) {
  mnd_lock();
  const int32_t size = set_threads(threads);
  mnd_unlock();
  return size;
}

// Called with the lock held (by the GEMM) or from mnd_pool_size below.
static int32_t threads_locked(void) {
  if (pool.size == 0)
    set_threads(mnd_pool_cpu_count());
  return pool.size;
}

int32_t mnd_pool_size(void) {
  mnd_lock();
  const int32_t size = threads_locked();
  mnd_unlock();
  return size;
}

// Threads the planners may split the next job over: 1 while the pool runs
// jobs on the caller alone after repeated late jobs.
int32_t mnd_pool_threads(void) {
  const int32_t size = threads_locked();
  return pool.solo_left > 0 ? 1 : size;
}

int32_t mnd_pool_solo_count(void) {
  mnd_lock();
  const int32_t spells = pool.solo_spells;
  mnd_unlock();
  return spells;
}

void mnd_pool_run(mnd_task_fn fn, void *ctx, int32_t tasks) {
  if (pool.solo_left > 0)
    pool.solo_left--;
  if (tasks <= 1 || threads_locked() <= 1 || tasks > pool.size) {
    for (int32_t t = 0; t < tasks; t++)
      fn(ctx, t);
    return;
  }
  pool.fn = fn;
  pool.ctx = ctx;
  pool.tasks = tasks;
  atomic_store(&pool.pending, pool.size - 1);
  const int64_t start = now_ns();
  signal_workers();
  fn(ctx, 0);
  const int64_t own = now_ns() - start;
  for (int spins = 0;
       atomic_load_explicit(&pool.pending, memory_order_acquire) > 0;) {
    if (++spins < WAIT_SPINS)
      CPU_RELAX();
    else
      YIELD(); // let a worker that waits for this core run
  }
  const int64_t total = now_ns() - start;
  if (++pool.since_solo == TRIAL_JOBS)
    pool.backoff = 0; // a trial of the workers went well
  if (total > LATE_RATIO * own && total - own > LATE_MIN_NS) {
    if (++pool.late >= LATE_JOBS) {
      if (pool.since_solo < TRIAL_JOBS && pool.backoff < 6)
        pool.backoff++;
      pool.late = 0;
      pool.since_solo = 0;
      pool.solo_left = SOLO_JOBS << pool.backoff;
      pool.solo_spells++;
    }
  } else if (pool.late > 0) {
    pool.late--;
  }
}
#endif
