// The device's stream priority range, for the inference lane: a stream made
// with the greatest priority gets its blocks scheduled ahead of the training
// stream's pending blocks (running blocks are not preempted).
#include <cuda_runtime_api.h>
#include "errors.h"
#include "napi_util.h"

namespace handover {

// streamPriorityRange() -> { least, greatest } (numerically, greatest <= least)
napi_value stream_priority_range(napi_env env, napi_callback_info) {
  int least = 0, greatest = 0;
  RT_CHECK(env, cudaDeviceGetStreamPriorityRange(&least, &greatest));
  napi_value o;
  NAPI_CHECK(env, napi_create_object(env, &o));
  NAPI_CHECK(env, napi_set_named_property(env, o, "least", number(env, least)));
  NAPI_CHECK(env, napi_set_named_property(env, o, "greatest", number(env, greatest)));
  return o;
}

}  // namespace handover
