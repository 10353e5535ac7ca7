// A fixed set of threads taking jobs from a bounded FIFO queue. push()
// blocks while the queue is full, so a fast reader is held back by its
// workers instead of buffering without limit.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace c42 {

template <class Job> class WorkerPool {
public:
  // make_handler runs once on each worker thread (to build per-thread state
  // such as an HTTP client) and returns the function that handles its jobs.
  using HandlerFactory = std::function<std::function<void(Job&)>()>;

  WorkerPool(int threads, size_t capacity, HandlerFactory make_handler)
      : capacity_(capacity), make_handler_(std::move(make_handler)) {
    for (int i = 0; i < threads; ++i)
      threads_.emplace_back([this] { work(); });
  }
  ~WorkerPool() { close_and_join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void push(Job job) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return jobs_.size() < capacity_; });
    jobs_.push_back(std::move(job));
    lock.unlock();
    changed_.notify_all();
  }

  // Lets the workers finish every queued job, then joins them.
  void close_and_join() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
    }
    changed_.notify_all();
    for (auto& t : threads_)
      t.join();
    threads_.clear();
  }

private:
  void work() {
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
  }

  size_t capacity_;
  HandlerFactory make_handler_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> jobs_;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

} // namespace c42
