/** How to install cloudflared on this platform: one line for the CLI and the owner UI. */
export function installHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'Install cloudflared with `brew install cloudflared` (or `npm i -g cloudflared`), then publish again; or pass --cloudflared <path>.';
    case 'win32':
      return 'Install cloudflared with `winget install --id Cloudflare.cloudflared` (or `npm i -g cloudflared`), then publish again; or pass --cloudflared <path>.';
    default:
      return 'Install cloudflared from Cloudflare\'s package repository (https://pkg.cloudflare.com: `sudo apt-get install cloudflared` on Debian/Ubuntu once it is added), with `brew install cloudflared`, or with `npm i -g cloudflared`; then publish again, or pass --cloudflared <path>.';
  }
}
