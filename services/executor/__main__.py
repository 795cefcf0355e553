from services.executor.worker import main

main()
