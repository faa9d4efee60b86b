from audit_cli.main import main

main()
