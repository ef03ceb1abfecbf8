// Node-only preparation before Dawn loads, so a user sees no noise that means
// nothing to them: Vulkan's window-system code complains on stderr when
// XDG_RUNTIME_DIR is unset (headless servers, containers), and probing the
// system's Vulkan drivers on a Linux machine without any GPU device node only
// prints Dawn warnings (with Dawn's build paths) before SwiftShader is chosen.
// Node modules are loaded by name at run time so browser bundles never see them.

type Fs = typeof import('node:fs');

async function nodeModule<T>(name: string): Promise<T> {
  return (await import(/* @vite-ignore */ name)) as T;
}

/** Points XDG_RUNTIME_DIR at a private folder when it is unset or unusable (as Vulkan's WSI code wants). */
export async function ensureRuntimeDir(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const fs = await nodeModule<Fs>('node:fs');
  const cur = env.XDG_RUNTIME_DIR;
  if (cur && fs.existsSync(cur)) return null;
  const { tmpdir } = await nodeModule<typeof import('node:os')>('node:os');
  const dir = `${tmpdir()}/handover-runtime-${process.getuid?.() ?? 'user'}`;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  env.XDG_RUNTIME_DIR = dir;
  return dir;
}

/** False on Linux when no GPU device node exists (no DRM render node, no NVIDIA device, no WSL GPU). */
export async function mayHaveGpu(): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  const fs = await nodeModule<Fs>('node:fs');
  if (fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/dxg')) return true;
  try {
    return fs.readdirSync('/dev/dri').some((n) => n.startsWith('renderD') || n.startsWith('card'));
  } catch {
    return false;
  }
}
