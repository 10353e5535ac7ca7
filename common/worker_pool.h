// A fixed set of threads taking jobs from a bounded FIFO queue. push()
// blocks while the queue is full, so a fast reader is held back by its
// workers instead of buffering without limit.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace c42 {

template <class Job> class WorkerPool {
public:
  // make_handler runs once on each worker thread (to build per-thread state
  // such as an HTTP client) and returns the function that handles its jobs.
  using HandlerFactory = std::function<std::function<void(Job&)>()>;

  // Throws std::system_error when a thread cannot be started; the threads
  // already running are stopped first, so nothing is left behind.
  WorkerPool(int threads, size_t capacity, HandlerFactory make_handler)
      : capacity_(capacity), make_handler_(std::move(make_handler)) {
    try {
      for (int i = 0; i < threads; ++i) {
        try {
          threads_.emplace_back([this] { work(); });
        } catch (const std::system_error& e) {
          throw std::system_error(e.code(), "cannot start worker thread " + std::to_string(i + 1) +
                                                " of " + std::to_string(threads));
        }
      }
    } catch (...) {
      close_and_join();
      throw;
    }
  }
  ~WorkerPool() {
    try {
      close_and_join();
    } catch (...) {
      // Reported by the owner's own close_and_join() when it matters.
    }
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Blocks while the queue is full. Rethrows a worker's exception rather
  // than wait for workers that are gone.
  void push(Job job) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return jobs_.size() < capacity_ || failure_; });
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    jobs_.push_back(std::move(job));
    lock.unlock();
    changed_.notify_all();
  }

  // Lets the workers finish every queued job, then joins them. An exception
  // a handler threw (out of memory, say) is rethrown here, in the thread
  // that owns the pool, instead of ending the process from a worker.
  void close_and_join() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_)
      t.join();
    threads_.clear();
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }

private:
  void work() {
    try {
      std::function<void(Job&)> handle = make_handler_();
      for (;;) {
        Job job;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          changed_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
          if (jobs_.empty()) return;
          job = std::move(jobs_.front());
          jobs_.pop_front();
        }
        changed_.notify_all();
        handle(job);
      }
    } catch (...) {
      // This worker stops; the others finish the queue. The owner sees the
      // exception at close_and_join().
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!failure_) failure_ = std::current_exception();
      }
      changed_.notify_all();
    }
  }

  size_t capacity_;
  HandlerFactory make_handler_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> jobs_;
  bool closing_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> threads_;
};

} // namespace c42
