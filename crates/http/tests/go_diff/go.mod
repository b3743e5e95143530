module gortdiff

go 1.27
