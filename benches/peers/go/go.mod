module gortbench/peers/echo

go 1.27
