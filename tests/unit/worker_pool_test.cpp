#include "common/worker_pool.h"

#include <atomic>
#include <gtest/gtest.h>
#include <new>
#include <stdexcept>

namespace c42 {
namespace {

TEST(WorkerPool, EveryJobRunsBeforeCloseReturns) {
  std::atomic<int> done{0};
  WorkerPool<int> pool(3, 2, [&] { return [&](int& n) { done += n; }; });
  for (int i = 0; i < 100; ++i)
    pool.push(1);
  pool.close_and_join();
  EXPECT_EQ(done, 100);
}

// An exception in a worker thread once ended the process (std::terminate);
// it now reaches the thread that owns the pool, where the tool reports it.
TEST(WorkerPool, AHandlersExceptionReachesTheOwner) {
  WorkerPool<int> pool(2, 1, [] {
    return [](int& n) {
      if (n == 3) throw std::bad_alloc();
    };
  });
  bool thrown = false;
  try {
    for (int i = 0; i < 50; ++i)
      pool.push(i);
    pool.close_and_join();
  } catch (const std::bad_alloc&) {
    thrown = true;
  }
  EXPECT_TRUE(thrown);
}

TEST(WorkerPool, PushDoesNotWaitForWorkersThatAreGone) {
  // Every worker dies on its first job; a full queue must not block forever.
  WorkerPool<int> pool(2, 1, [] { return [](int&) { throw std::runtime_error("broken"); }; });
  EXPECT_THROW(
      {
        for (int i = 0; i < 1000; ++i)
          pool.push(i);
        pool.close_and_join();
      },
      std::runtime_error);
}

TEST(WorkerPool, AFailingHandlerFactoryIsReportedToo) {
  WorkerPool<int> pool(1, 1, []() -> std::function<void(int&)> {
    throw std::runtime_error("cannot make a client");
  });
  EXPECT_THROW(pool.close_and_join(), std::runtime_error);
}

} // namespace
} // namespace c42
