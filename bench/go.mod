module chat/bench

go 1.19
