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

  @Get('console/vendor/:file')
  vendor(@Param('file') file: string, @Res() res: Response): void {
    this.send(res, `vendor/${file}`, 'public, max-age=86400');
  }

  @Get('console/:file')
  file(@Param('file') file: string, @Res() res: Response): void {
    this.send(res, file, 'no-cache');
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
