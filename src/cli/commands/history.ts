/** list-history and search. */
import type { Command } from '../command.ts';

export const historyCommands: Command[] = [];
