// Streams and events: the training stream, the zero-fill stream, and the
// events submit() polls. Handles go back to JavaScript as BigInts.
#include <cuda_runtime_api.h>
#include "errors.h"
#include "napi_util.h"

namespace handover {

// streamCreate(priority) -> stream (non-blocking; lower number = higher priority)
napi_value stream_create(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  int priority = (int)a.num(0);
  if (!a.ok) return nullptr;
  cudaStream_t s = nullptr;
  RT_CHECK(env, cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, priority));
  return big(env, (uint64_t)s);
}

napi_value stream_destroy(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaStream_t s = (cudaStream_t)a.u64(0);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaStreamDestroy(s));
  return undefined(env);
}

// eventCreate(timing) -> event
napi_value event_create(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  bool timing = a.flag(0);
  if (!a.ok) return nullptr;
  cudaEvent_t e = nullptr;
  RT_CHECK(env, cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
  return big(env, (uint64_t)e);
}

napi_value event_destroy(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaEvent_t e = (cudaEvent_t)a.u64(0);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaEventDestroy(e));
  return undefined(env);
}

// eventRecord(event, stream)
napi_value event_record(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  cudaEvent_t e = (cudaEvent_t)a.u64(0);
  cudaStream_t s = (cudaStream_t)a.u64(1);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaEventRecord(e, s));
  return undefined(env);
}

// eventQuery(event) -> true when done, false when not yet; a failure of the work throws.
napi_value event_query(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaEvent_t e = (cudaEvent_t)a.u64(0);
  if (!a.ok) return nullptr;
  cudaError_t r = cudaEventQuery(e);
  if (r == cudaErrorNotReady) {
    cudaGetLastError();  // NotReady is not sticky, but clear it so it cannot be misread later
    return boolean(env, false);
  }
  RT_CHECK(env, r);
  return boolean(env, true);
}

// eventElapsed(start, end) -> milliseconds
napi_value event_elapsed(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  cudaEvent_t s = (cudaEvent_t)a.u64(0), e = (cudaEvent_t)a.u64(1);
  if (!a.ok) return nullptr;
  float ms = 0;
  RT_CHECK(env, cudaEventElapsedTime(&ms, s, e));
  return number(env, ms);
}

// streamWaitEvent(stream, event): later work on stream waits for the event.
napi_value stream_wait_event(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  cudaStream_t s = (cudaStream_t)a.u64(0);
  cudaEvent_t e = (cudaEvent_t)a.u64(1);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaStreamWaitEvent(s, e, 0));
  return undefined(env);
}

// synchronize(): blocks until the device is idle (destroy and benchmarks only).
napi_value synchronize(napi_env env, napi_callback_info) {
  RT_CHECK(env, cudaDeviceSynchronize());
  return undefined(env);
}

}  // namespace handover
