// CUDA graphs: capture a stream's launches once, replay them with one call.
// Mechanics only; which recordings exist and when they are stale is decided
// in TypeScript (src/devices/cuda/device.ts, src/infer/executor.ts). Handles go back to
// JavaScript as BigInts. Also registers the stream-priority query
// (stream_priority.cpp), which the inference lane needs.
#include <cuda_runtime_api.h>
#include "errors.h"
#include "napi_util.h"

namespace handover {

napi_value stream_priority_range(napi_env env, napi_callback_info info);

// captureBegin(stream): later work on the stream is recorded, not run.
// Thread-local mode: an unsafe call from this thread while capturing fails at
// once instead of corrupting the capture.
static napi_value capture_begin(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaStream_t s = (cudaStream_t)a.u64(0);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  return undefined(env);
}

// captureEnd(stream) -> graph. Ends the capture even when it was invalidated
// (then throws, with no graph left behind).
static napi_value capture_end(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaStream_t s = (cudaStream_t)a.u64(0);
  if (!a.ok) return nullptr;
  cudaGraph_t g = nullptr;
  cudaError_t r = cudaStreamEndCapture(s, &g);
  if (r != cudaSuccess) {
    if (g) cudaGraphDestroy(g);
    return throw_rt(env, "cudaStreamEndCapture(s, &g)", __FILE__, __LINE__, r);
  }
  USAGE_CHECK(env, g != nullptr, "capture ended without a graph");
  return big(env, (uint64_t)g);
}

// graphInstantiate(graph) -> executable graph
static napi_value graph_instantiate(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaGraph_t g = (cudaGraph_t)a.u64(0);
  if (!a.ok) return nullptr;
  cudaGraphExec_t e = nullptr;
  RT_CHECK(env, cudaGraphInstantiate(&e, g, 0));
  return big(env, (uint64_t)e);
}

// graphDestroy(graph): the captured graph (an executable made from it stays valid).
static napi_value graph_destroy(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaGraph_t g = (cudaGraph_t)a.u64(0);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaGraphDestroy(g));
  return undefined(env);
}

// graphLaunch(exec, stream): replays the recording on the stream, in order with its other work.
static napi_value graph_launch(napi_env env, napi_callback_info info) {
  Args a(env, info, 2);
  cudaGraphExec_t e = (cudaGraphExec_t)a.u64(0);
  cudaStream_t s = (cudaStream_t)a.u64(1);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaGraphLaunch(e, s));
  return undefined(env);
}

// graphExecDestroy(exec): the caller makes sure no launch of it is still running.
static napi_value graph_exec_destroy(napi_env env, napi_callback_info info) {
  Args a(env, info, 1);
  cudaGraphExec_t e = (cudaGraphExec_t)a.u64(0);
  if (!a.ok) return nullptr;
  RT_CHECK(env, cudaGraphExecDestroy(e));
  return undefined(env);
}

void register_graph(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
#define FN(js, c) {js, nullptr, c, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      FN("captureBegin", capture_begin) FN("captureEnd", capture_end) FN("graphInstantiate", graph_instantiate)
      FN("graphDestroy", graph_destroy) FN("graphLaunch", graph_launch) FN("graphExecDestroy", graph_exec_destroy)
      FN("streamPriorityRange", stream_priority_range)
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}

}  // namespace handover
