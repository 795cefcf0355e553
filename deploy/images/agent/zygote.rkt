;; Racket started ahead of its program in a warm sandbox (the agent's zygote mode; the protocol is
;; zygote.py's: the go message arrives on fd 3 as "cpu_ms NUL file_size NUL argv...", the agent has
;; already lowered the file size limit and keeps the CPU limit on the cell itself; a byte on fd 4
;; says the zygote is warm). `racket main.rkt` spends ~150 ms of a hello world loading racket/base
;; (and more for #lang racket) before the module's first expression; here both are loaded while the
;; sandbox waits. The program then runs as the launcher runs a file argument: its configure-runtime
;; submodule, the module, then its main submodule, with the command line's remaining arguments.
;; One program per process.
#lang racket/base
(require racket/port
         (only-in racket)) ; instantiated here, so that #lang racket programs find it loaded

(define zygote-namespace (current-namespace))

;; Warm: the agent may hand this sandbox a program without waiting.
;; (A module body prints its expressions' values: this one's is void.)
(with-handlers ([exn:fail? void])
  (call-with-output-file "/proc/self/fd/4" (lambda (out) (void (write-bytes #"r" out))) #:exists 'append))

(define fields
  (let ([parts (regexp-split #rx#"\0" (call-with-input-file "/proc/self/fd/3" port->bytes))])
    ;; The message ends with a NUL: its last part is empty.
    (map bytes->string/utf-8 (reverse (cdr (reverse parts))))))

;; cpu_ms, file size, "racket", the file, its arguments. Without a program, nothing to do.
(when (>= (length fields) 4)
  (define file (path->complete-path (list-ref fields 3)))
  (current-command-line-arguments (list->vector (list-tail fields 4)))
  (define module-path `(file ,(path->string file)))
  (define (submodule name) `(submod ,module-path ,name))
  ;; Each part runs in a thread of its own whose exceptions come back here: an error's context
  ;; ("context...:" lines) then holds the program's frames only, as under the launcher.
  (define (run name)
    (call-in-nested-thread (lambda () (dynamic-require (if name (submodule name) module-path) #f))))
  (parameterize ([current-namespace (make-base-empty-namespace)])
    (namespace-attach-module zygote-namespace 'racket)
    (when (module-declared? (submodule 'configure-runtime) #t)
      (run 'configure-runtime))
    (run #f)
    (when (module-declared? (submodule 'main) #t)
      (run 'main))))
