/** Sample orchestrations: registering them is importing them. */
import './hello-sequence';
import './approval';
