/* placeholder: not written yet */
typedef int lo_placeholder_lenet_onnx_check;
int main(void) { return 3; }
