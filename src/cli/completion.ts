// Shell completion. yargs answers `mq-doctor --get-yargs-completions WORDS…`
// (commands, and each command's own flags from options.ts); this module adds
// the values of a flag (choices, queue names, check IDs) and, for a path, a
// directive line the script hands to the shell's own path completion. The
// scripts below only ask and hand the answer to the shell.
import { readdirSync } from 'node:fs';
import { CHECK_IDS } from '../model/types.js';
import { COMMANDS, COMMON_OPTIONS, type OptionSpec } from './options.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Answers that are not candidates: the script lets the shell complete a path (any file, or a directory). */
export const FILES = ':files';
export const DIRECTORIES = ':dirs';

/** Where mq_open's names live; each is offered with the leading "/" that glibc needs. */
const MQUEUE = '/dev/mqueue';

function queueNames(): string[] {
  try {
    return readdirSync(MQUEUE)
      .map((n) => `/${n}`)
      .sort();
  } catch {
    return [];
  }
}

/** "MQ-ATTR,MQ-N" → "MQ-ATTR,<each id not given yet>"; alone, every id and "all". */
function checkIdList(current: string): string[] {
  const given = current.split(',').slice(0, -1);
  const taken = new Set(given.map((g) => g.trim().toUpperCase()));
  const rest = CHECK_IDS.filter((id) => !taken.has(id));
  return given.length === 0 ? [...rest, 'all'] : rest.map((id) => `${given.join(',')},${id}`);
}

function valuesOf(spec: OptionSpec, current: string): string[] {
  switch (spec.complete) {
    case 'file':
      return [FILES];
    case 'directory':
      return [DIRECTORIES];
    case 'queue':
      return queueNames();
    case 'check-ids':
      return checkIdList(current);
    default:
      // A value is due: flags are not one (--maxmsg <TAB> offers nothing rather than --msgsize).
      return spec.choices ? [...spec.choices] : [];
  }
}

function flagSpec(options: Record<string, OptionSpec>, word: string): OptionSpec | undefined {
  if (word.includes('=')) return undefined;
  if (word.startsWith('--')) return Object.hasOwn(options, word.slice(2)) ? options[word.slice(2)] : undefined;
  if (/^-[^-]$/.test(word)) return Object.values(options).find((s) => s.short === word[1]);
  return undefined;
}

/**
 * What mq-doctor itself completes for WORDS (the program's name, the words
 * before the cursor, the word at it): a flag's value, completion's shells, the
 * application after preflight's `--`. Undefined: yargs' own answer (commands,
 * the command's flags). The shells filter by what is typed.
 */
export function ownCompletions(words: string[]): string[] | undefined {
  const typed = words.slice(1, -1);
  const current = words.length > 1 ? words[words.length - 1]! : '';
  // Flags before the command are the shared ones (main.ts reads them the same way).
  let at = 0;
  for (; at < typed.length && typed[at]!.startsWith('-') && typed[at] !== '--'; at++) {
    const spec = flagSpec(COMMON_OPTIONS, typed[at]!);
    if (spec && spec.kind !== 'boolean') at++;
  }
  const command = typed[at];
  if (command === '--') return [];
  const options: Record<string, OptionSpec> | undefined =
    command === undefined ? COMMON_OPTIONS : Object.hasOwn(COMMANDS, command) ? COMMANDS[command as keyof typeof COMMANDS].options : undefined;
  if (command === 'completion') return typed.length === at + 1 ? [...SHELLS] : [];
  if (options === undefined) return command === 'help' && typed.length === at + 1 ? [...Object.keys(COMMANDS), 'completion'] : [];
  const after = typed.slice(at + 1);
  // After a bare `--`: preflight's application and its arguments, paths as often as not.
  if (after.includes('--')) return command === 'preflight' ? [FILES] : [];
  const previous = typed[typed.length - 1];
  const spec = previous !== undefined && (command === undefined || after.length > 0) ? flagSpec(options, previous) : undefined;
  if (spec && spec.kind !== 'boolean') return valuesOf(spec, current);
  return undefined;
}

/** zsh's _describe reads "value:description": a colon in a value is escaped, as yargs does for its own. */
export function forShell(values: string[], zsh: boolean): string[] {
  return zsh ? values.map((v) => (v === FILES || v === DIRECTORIES ? v : v.replace(/:/g, '\\:'))) : values;
}

const BASH = `###-begin-mq-doctor-completions-###
# mq-doctor completion for bash. Install it with one of:
#   mq-doctor completion bash > ~/.local/share/bash-completion/completions/mq-doctor
#   echo 'source <(mq-doctor completion bash)' >> ~/.bashrc
_mq_doctor_completions() {
    local cur=\${COMP_WORDS[COMP_CWORD]} reply IFS=$'\\n'
    # mq-doctor answers for the words up to the cursor (SHELL: its plain format, not zsh's).
    reply=$(SHELL=/bin/bash mq-doctor --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null) || return 0
    case $reply in
        ${FILES}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        ${DIRECTORIES}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$reply" -- "$cur")) ;;
    esac
}
complete -F _mq_doctor_completions mq-doctor
###-end-mq-doctor-completions-###
`;

const ZSH = `#compdef mq-doctor
###-begin-mq-doctor-completions-###
# mq-doctor completion for zsh. Install it with one of:
#   mq-doctor completion zsh > ~/.zfunc/_mq-doctor   (with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc)
#   echo 'source <(mq-doctor completion zsh)' >> ~/.zshrc   (after compinit)
# Named as the file compinit autoloads: the first call replaces it by this function and calls it.
_mq-doctor() {
  local -a reply
  # mq-doctor answers for the words up to the cursor, in yargs' zsh format (value:description).
  reply=(\${(f)"$(SHELL=/bin/zsh mq-doctor --get-yargs-completions "\${(@Q)words[1,CURRENT]}" 2>/dev/null)"})
  case $reply[1] in
    (${FILES}) _files ;;
    (${DIRECTORIES}) _files -/ ;;
    (*) (( $#reply )) && _describe -t values 'mq-doctor' reply ;;
  esac
}
if [[ \${funcstack[1]} == _mq-doctor ]]; then
  _mq-doctor "$@"
else
  compdef _mq-doctor mq-doctor
fi
###-end-mq-doctor-completions-###
`;

const FISH = `###-begin-mq-doctor-completions-###
# mq-doctor completion for fish. Install it with:
#   mq-doctor completion fish > ~/.config/fish/completions/mq-doctor.fish
function __mq_doctor_complete
    set -l cur (commandline -ct)
    # mq-doctor answers for the words up to the cursor ("$cur" stays a word when empty; SHELL: the plain format).
    set -l reply (env SHELL=/bin/bash mq-doctor --get-yargs-completions (commandline -opc) "$cur" 2>/dev/null)
    switch "$reply"
        case ${FILES}
            __fish_complete_path "$cur"
        case ${DIRECTORIES}
            __fish_complete_directories "$cur"
        case '*'
            printf '%s\\n' $reply
    end
end
complete -c mq-doctor -f -a '(__mq_doctor_complete)'
###-end-mq-doctor-completions-###
`;

export const SCRIPTS: Record<Shell, string> = { bash: BASH, zsh: ZSH, fish: FISH };
