/* placeholder: not written yet */
typedef int lo_placeholder_ir;
