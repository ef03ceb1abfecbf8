// Installs the system packages handover needs on Debian/Ubuntu: chromium
// (for SwiftShader's Vulkan driver, and the browser demo's tests), libvulkan1
// and the Fashion-MNIST data set. As root it runs apt-get; otherwise it
// prints the exact command and exits non-zero.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const need = [
  ['/usr/lib/chromium/vk_swiftshader_icd.json', 'chromium'],
  ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', 'libvulkan1'],
  ['/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz', 'dataset-fashion-mnist'],
];
const missing = need.filter(([f]) => !existsSync(f)).map(([, p]) => p);
if (missing.length === 0) {
  console.log('setup: system packages present (chromium, libvulkan1, dataset-fashion-mnist)');
  process.exit(0);
}
const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}`;
if (process.getuid?.() !== 0) {
  console.error(`setup: missing Debian packages: ${missing.join(', ')}\nrun as root:\n  sudo sh -c '${cmd}'`);
  process.exit(1);
}
console.log(`setup: installing ${missing.join(', ')}`);
execSync(cmd, { stdio: 'inherit', shell: '/bin/sh' });
