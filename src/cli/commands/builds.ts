/** Builds and RPMs (buildinfo, rpminfo, list-builds, list-untagged). */
import type { Command } from '../command.ts';

export const buildCommands: Command[] = [];
