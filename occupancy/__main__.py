from occupancy.cli import main

main()
