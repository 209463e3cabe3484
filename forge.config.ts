/**
 * Electron Forge: `npm run package` / `npm run make` (both need the Electron binary, which Forge
 * downloads). The Vite plugin builds electron/main.ts and electron/preload.ts into .vite/build and the
 * owner UI into .vite/renderer/main_window; only .vite/ is packed into the app's asar.
 */
import { MakerDeb } from '@electron-forge/maker-deb';
import { MakerDMG } from '@electron-forge/maker-dmg';
import { MakerRpm } from '@electron-forge/maker-rpm';
import { MakerSquirrel } from '@electron-forge/maker-squirrel';
import { MakerZIP } from '@electron-forge/maker-zip';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { VitePlugin } from '@electron-forge/plugin-vite';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { FuseV1Options, FuseVersion } from '@electron/fuses';

const config: ForgeConfig = {
  packagerConfig: {
    name: 'Cohort',
    executableName: 'cohort-desktop',
    asar: true,
  },
  rebuildConfig: {},
  // Forge 7 makes for one platform and the architectures given on the command line (`--platform`,
  // `--arch`, comma-separated), this machine's by default; a maker has no architecture setting.
  // `npm run make` on a DGX Spark therefore makes linux/arm64, and `npm run make:linux` makes the
  // Linux deb, rpm and zip for x64 and arm64 (out/make/deb/arm64/, out/make/rpm/arm64/, …).
  // The app bundles its code with Vite and has no native modules, so nothing is rebuilt per arch.
  makers: [
    new MakerSquirrel({ name: 'cohort' }),
    new MakerZIP({}, ['darwin', 'linux']),
    new MakerDMG({}),
    new MakerDeb({ options: { bin: 'cohort-desktop', categories: ['Science', 'Development'] } }),
    new MakerRpm({ options: { bin: 'cohort-desktop' } }),
  ],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'electron/main.ts', config: 'electron/vite.main.config.ts', target: 'main' },
        { entry: 'electron/preload.ts', config: 'electron/vite.preload.config.ts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'electron/vite.renderer.config.ts' }],
    }),
    // The fuses Forge's templates set: no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect, cookies
    // encrypted, and the app loads only from its integrity-checked asar.
    new FusesPlugin({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
    }),
  ],
};

export default config;
