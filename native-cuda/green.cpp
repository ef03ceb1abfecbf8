// Registers this file's functions on the addon's exports. (To be written.)
#include <node_api.h>

namespace handover {

void register_green(napi_env, napi_value) {}

}  // namespace handover
