#!/usr/bin/perl
# R started ahead of its program in a warm sandbox (the agent's zygote mode; the protocol is
# zygote.py's: the go message arrives on fd 3 as "cpu_ms NUL file_size NUL argv...", the agent
# has already lowered the file size limit and keeps the CPU limit on the cell itself; a byte on
# fd 4 says the zygote is warm). `Rscript --vanilla main.R` spends ~120 ms of its ~160 attaching
# the default packages (methods, stats, utils...) before the script's first line.
#
# Rscript runs `R --no-echo --no-restore --vanilla --file=main.R --args ...`: R's own read-eval
# loop over the file. So does this zygote, over a FIFO instead of the file: this process becomes
# that R (same pid, so exit statuses and signals are R's own), and a child feeds the FIFO: first a
# line that R runs once started (the readiness byte), then, when the program comes, a line that
# makes commandArgs() answer what it would under Rscript, then the script's bytes as they are.
# Errors, warnings, "Execution halted", printing of visible values and the exit status are those
# of the same read-eval loop Rscript uses. Perl is Debian's essential perl-base.
use strict;
use warnings;
use POSIX ();

my $fifo = "/tmp/.crh-zygote-r";
POSIX::mkfifo($fifo, 0600) or die "mkfifo $fifo: $!\n";
my $pid = fork() // die "fork: $!\n";
if ($pid) {
    POSIX::close(3);    # the go message is the feeder's
    exec { "R" } "R", "--no-echo", "--no-restore", "--vanilla", "--file=$fifo" or die "exec R: $!\n";
}

# The feeder. Nothing of the program's standard streams stays open here.
POSIX::close(4);
open(STDIN, "<", "/dev/null");
open(STDOUT, ">", "/dev/null");
open(STDERR, ">", "/dev/null");
open(my $r, ">", $fifo) or POSIX::_exit(1);    # waits for R to open it
unlink $fifo;
$r->autoflush(1);
print $r 'local({ ready <- file("/proc/self/fd/4", "wb", raw = TRUE); writeBin(charToRaw("r"), ready); close(ready) })', "\n";

open(my $go, "<&=", 3) or POSIX::_exit(1);
binmode $go;
my $message = do { local $/; <$go> } // "";
close $go;
my @fields = split /\0/, $message, -1;
pop @fields if @fields && $fields[-1] eq "";
# cpu_ms, file size, then "Rscript", its options, the script and its arguments. Without a
# program (the sandbox was discarded), R reads the end of its file and exits.
POSIX::_exit(0) if @fields < 4;
my @rscript = @fields[3 .. $#fields];
my @options;
push @options, shift @rscript while @rscript && $rscript[0] =~ /^-/;
my ($script, @args) = @rscript;
POSIX::_exit(1) unless defined $script;

# commandArgs() as Rscript's R would answer; strings as bytes, whatever they hold.
sub r_string {
    my ($s) = @_;
    return 'rawToChar(as.raw(c(' . join(",", map { sprintf "0x%02x", ord } split //, $s) . ')))';
}
my @argv = ("/usr/lib/R/bin/exec/R", "--no-echo", "--no-restore", @options, "--file=$script");
push @argv, "--args", @args if @args;
print $r 'local({ args <- c(', join(", ", map { r_string($_) } @argv), '); env <- baseenv(); ',
    'unlockBinding("commandArgs", env); ',
    'assign("commandArgs", function(trailingOnly = FALSE) { if (trailingOnly) { at <- match("--args", args, 0L); ',
    'if (at) args[-seq_len(at)] else character() } else args }, envir = env); ',
    'lockBinding("commandArgs", env) })', "\n";

my $source;
unless (open($source, "<", $script)) {
    # What Rscript's R says of a script it cannot open.
    my $error = "Fatal error: cannot open file '$script': No such file or directory\n";
    print $r "cat(", r_string($error), ", file = stderr()); quit(save = \"no\", status = 2)\n";
    POSIX::_exit(0);
}
binmode $source;
binmode $r;
my $buffer;
while (read($source, $buffer, 65536)) {
    print $r $buffer or last;
}
close $r;
POSIX::_exit(0);
