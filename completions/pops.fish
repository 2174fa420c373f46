# fish completion for pops(1)
#
# Install as pops.fish in a vendor_completions.d directory (make install
# uses $(PREFIX)/share/fish/vendor_completions.d). Candidates come from
# the binary itself: `pops __complete -- <words>` prints one per line, or
# ":file" / ":dir" when the shell should complete a path.

function __pops_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l cands (command $tokens[1] __complete -- $tokens[2..-1] "$cur" 2>/dev/null)
    set -l prefix ''
    # --option=path: complete the part after '=' and keep the option
    if string match -qr -- '^--[^=]*=' "$cur"
        set prefix (string match -r -- '^--[^=]*=' "$cur")
        set cur (string replace -r -- '^--[^=]*=' '' "$cur")
    end
    switch "$cands[1]"
        case :file
            for p in (__fish_complete_path "$cur")
                printf '%s%s\n' $prefix $p
            end
        case :dir
            for p in (__fish_complete_directories "$cur")
                printf '%s%s\n' $prefix $p
            end
        case '*'
            printf '%s\n' $cands
    end
end

complete -c pops -f -a '(__pops_complete)'
