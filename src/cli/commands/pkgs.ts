/** Package lists and tagged builds (add-pkg … list-pkgs, list-tagged, latest-build). */
import type { Command } from '../command.ts';

export const pkgCommands: Command[] = [];
