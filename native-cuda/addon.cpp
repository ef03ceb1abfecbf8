// The handover CUDA addon: driver, runtime and cuBLAS mechanics for
// src/devices/cuda/. Bookkeeping (pages, owners, reservations) lives in TypeScript.
#include <node_api.h>

namespace handover {
#define DECL(fn) napi_value fn(napi_env, napi_callback_info);
DECL(open_device) DECL(page_create) DECL(page_release) DECL(address_reserve) DECL(address_free)
DECL(page_map) DECL(page_unmap) DECL(access_set) DECL(host_alloc) DECL(host_free) DECL(zero_async) DECL(copy_async)
DECL(upload_async) DECL(download_async) DECL(stream_create) DECL(stream_destroy) DECL(event_create)
DECL(event_destroy) DECL(event_record) DECL(event_query) DECL(event_elapsed) DECL(stream_wait_event)
DECL(synchronize) DECL(kernel_list) DECL(kernel_prepare) DECL(kernel_launch) DECL(blas_create)
DECL(blas_destroy) DECL(blas_set_workspace) DECL(gemm) DECL(gemm_strided_batched)
#undef DECL
// Each of these adds its own functions to the exports (graph.cpp, green.cpp, nccl.cpp).
void register_graph(napi_env env, napi_value exports);
void register_green(napi_env env, napi_value exports);
void register_nccl(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
#define FN(js, c) {js, nullptr, c, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      FN("open", open_device) FN("pageCreate", page_create) FN("pageRelease", page_release)
      FN("addressReserve", address_reserve) FN("addressFree", address_free) FN("pageMap", page_map)
      FN("pageUnmap", page_unmap) FN("accessSet", access_set) FN("hostAlloc", host_alloc) FN("hostFree", host_free)
      FN("zeroAsync", zero_async) FN("copyAsync", copy_async) FN("uploadAsync", upload_async)
      FN("downloadAsync", download_async) FN("streamCreate", stream_create) FN("streamDestroy", stream_destroy)
      FN("eventCreate", event_create) FN("eventDestroy", event_destroy) FN("eventRecord", event_record)
      FN("eventQuery", event_query) FN("eventElapsed", event_elapsed) FN("streamWaitEvent", stream_wait_event)
      FN("synchronize", synchronize) FN("kernels", kernel_list) FN("prepare", kernel_prepare)
      FN("launch", kernel_launch) FN("blasCreate", blas_create) FN("blasDestroy", blas_destroy) FN("blasSetWorkspace", blas_set_workspace)
      FN("gemm", gemm) FN("gemmStridedBatched", gemm_strided_batched)
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  register_graph(env, exports);
  register_green(env, exports);
  register_nccl(env, exports);
  return exports;
}

}  // namespace handover

NAPI_MODULE(NODE_GYP_MODULE_NAME, handover::init)
