/* placeholder: not written yet */
typedef int lo_placeholder_lenet_onnx_run;
int main(void) { return 3; }
