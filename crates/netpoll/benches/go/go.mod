module gortnetpollbench

go 1.27
