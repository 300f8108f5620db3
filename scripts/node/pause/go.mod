module ragstar.local/pause

go 1.24
