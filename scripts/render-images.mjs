// Renders the images the .vsix carries from their sources in docs/images/, with Debian's Chromium
// (CHROMIUM_PATH, as the UI tests):
// - docs/images/icon.svg → media/icon.png, 128×128 (the Marketplace takes a PNG icon, not an SVG);
// - the README's screenshots: for each `media/readme/<name>.webp` the README names, the UI tests'
//   docs/images/<name>.png (UPDATE_README_SCREENSHOTS=1) made small: 900 px wide, lossy WebP.
//   A 1400×900 PNG is about 150 KB; the .vsix has to stay under 1 MB, so the packaged README shows
//   these at about 20 KB each.
// Run it after changing the icon or the screenshots: `node scripts/render-images.mjs`; commit what it writes.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ICON_SIZE = 128;
const SCREENSHOT_WIDTH = 900;
// Text in a workbench screenshot stays readable at this quality; 0.3 and above adds a third to the size.
const SCREENSHOT_QUALITY = 0.22;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();

  /** Draws `source` (a data URL) on a canvas of `width` (height in proportion) and returns it encoded as `type`. */
  const render = (source, width, type, quality) =>
    page.evaluate(
      async ({ source, width, type, quality }) => {
        const image = new Image();
        image.src = source;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = width;
        canvas.height = Math.round((image.naturalHeight * width) / image.naturalWidth);
        const context = canvas.getContext('2d');
        context.imageSmoothingQuality = 'high';
        context.drawImage(image, 0, 0, canvas.width, canvas.height);
        const url = canvas.toDataURL(type, quality);
        if (!url.startsWith(`data:${type};`)) throw new Error(`Chromium cannot encode ${type}`);
        return url.slice(url.indexOf(',') + 1);
      },
      { source, width, type, quality },
    );

  const svg = readFileSync(join(root, 'docs', 'images', 'icon.svg'));
  const icon = Buffer.from(await render(`data:image/svg+xml;base64,${svg.toString('base64')}`, ICON_SIZE, 'image/png'), 'base64');
  writeFileSync(join(root, 'media', 'icon.png'), icon);
  console.log(`media/icon.png ${icon.length} bytes`);

  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const names = [...new Set([...readme.matchAll(/\]\(media\/readme\/([\w-]+)\.webp\)/g)].map((match) => match[1]))];
  mkdirSync(join(root, 'media', 'readme'), { recursive: true });
  for (const name of names) {
    const png = readFileSync(join(root, 'docs', 'images', `${name}.png`));
    const webp = Buffer.from(await render(`data:image/png;base64,${png.toString('base64')}`, SCREENSHOT_WIDTH, 'image/webp', SCREENSHOT_QUALITY), 'base64');
    writeFileSync(join(root, 'media', 'readme', `${name}.webp`), webp);
    console.log(`media/readme/${name}.webp ${webp.length} bytes`);
  }
} finally {
  await browser.close();
}
