// Opening a GPUDevice on an adapter (the features and limits asked for), and
// what the core is told about it (DeviceInfo).

import { deviceError, type DeviceInfo } from '../../core/device.js';
import { dawnPollMs } from './dawn-poll.js';

/** Optional features requested when the adapter has them. */
const WANTED_FEATURES = ['timestamp-query', 'shader-f16'] as const;

/** A device with the adapter's wanted features and its largest buffer, binding, storage and workgroup limits. */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const l = adapter.limits;
  try {
    return await adapter.requestDevice({
      requiredFeatures: WANTED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[],
      requiredLimits: {
        maxBufferSize: l.maxBufferSize,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      },
    });
  } catch (e) {
    throw deviceError('GPUAdapter.requestDevice', e);
  }
}

/** The core's description of `gpu`: names from the adapter's info, limits from the device's; SwiftShader is software. */
export function webGpuInfo(gpu: GPUDevice, software: boolean, adapterInfo?: GPUAdapterInfo): DeviceInfo {
  const info = adapterInfo ?? (gpu as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const text = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`;
  return {
    backend: 'webgpu',
    name: info?.description || info?.device || 'WebGPU device',
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    software: software || /swiftshader/i.test(text),
    limits: {
      maxBackingBytes: gpu.limits.maxBufferSize,
      maxBindingBytes: gpu.limits.maxStorageBufferBindingSize,
      bindingAlignment: gpu.limits.minStorageBufferOffsetAlignment,
      maxGroupsPerDimension: gpu.limits.maxComputeWorkgroupsPerDimension,
    },
    capabilities: { remap: false, timestamps: gpu.features.has('timestamp-query'), completionLatencyMs: dawnPollMs() },
  };
}
