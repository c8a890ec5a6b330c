/** Build targets and clone-tag. */
import type { Command } from '../command.ts';

export const targetCommands: Command[] = [];
