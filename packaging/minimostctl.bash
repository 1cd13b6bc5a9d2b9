# bash completion for minimostctl(8)                       -*- shell-script -*-
# Commands and flags as in "minimostctl help"; packaging/docs_test.go checks
# that every command listed there is completed here.

_minimostctl()
{
    local cur prev words cword
    _init_completion || return

    local globals="--socket --json --help"
    local commands="status reset-password users reload prune backup metrics version help"

    case $prev in
        --socket)
            _filedir
            return
            ;;
        -o|--output)
            _filedir
            return
            ;;
        --expires)
            COMPREPLY=($(compgen -W "30m 60m 2h 1d" -- "$cur"))
            return
            ;;
        --base-url)
            return
            ;;
    esac

    # The command and its subcommand are the first words that are neither a
    # global flag nor the value of --socket.
    local i cmd="" sub="" nargs=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --socket)
                ((i++))
                ;;
            -*) ;;
            *)
                if [[ -z $cmd ]]; then
                    cmd=${words[i]}
                elif [[ $cmd == users && -z $sub ]]; then
                    sub=${words[i]}
                else
                    ((nargs++))
                fi
                ;;
        esac
    done

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands $globals" -- "$cur"))
        return
    fi

    local flags=""
    case $cmd in
        users)
            if [[ -z $sub ]]; then
                COMPREPLY=($(compgen -W "list lock unlock delete logout $globals" -- "$cur"))
                return
            fi
            [[ $sub == delete ]] && flags="--hard"
            ;;
        reset-password) flags="--expires --base-url" ;;
        prune) flags="--dry-run" ;;
        backup) flags="-o" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags $globals" -- "$cur"))
    fi
} &&
    complete -F _minimostctl minimostctl

# ex: filetype=sh
