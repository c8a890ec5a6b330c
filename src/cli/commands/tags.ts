/** Tags and inheritance (add-tag, edit-tag, remove-tag, list-tags, taginfo, *-tag-inheritance). */
import type { Command } from '../command.ts';

export const tagCommands: Command[] = [];
