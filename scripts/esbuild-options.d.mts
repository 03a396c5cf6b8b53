import type { BuildOptions } from 'esbuild';
export declare const cjsOptions: BuildOptions;
