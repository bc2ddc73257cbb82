import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ConsoleAssets } from './console-assets';

/** The web console: a single page at / that talks only to the documented API. */
@Controller()
export class ConsoleController {
  constructor(private readonly assets: ConsoleAssets) {}

  @Get()
  index(@Res() res: Response): void {
    this.send(res, 'index.html', 'no-cache');
  }

  /**
   * /console/<path>: the console's own files (no-cache, so a new version is picked up at once)
   * and the libraries under vendor/ (cached for a day). `path` is Express 5's wildcard: its
   * segments, as an array. Only files read at start are served; nothing here reaches the disk.
   */
  @Get('console/*path')
  file(@Param('path') path: string | string[], @Res() res: Response): void {
    const name = Array.isArray(path) ? path.join('/') : path;
    this.send(res, name, name.startsWith('vendor/') ? 'public, max-age=86400' : 'no-cache');
  }

  private send(res: Response, name: string, cache: string): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`no console file ${name}`);
    res.setHeader('content-type', asset.type);
    res.setHeader('cache-control', cache);
    res.setHeader('x-content-type-options', 'nosniff');
    res.end(asset.body);
  }
}
