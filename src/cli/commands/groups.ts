/** Comps groups (add-group … show-groups, import-comps). */
import type { Command } from '../command.ts';

export const groupCommands: Command[] = [];
