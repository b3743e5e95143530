module gortpollbench

go 1.27
